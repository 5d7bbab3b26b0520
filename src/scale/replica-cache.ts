/**
 * What this isolate knows of the functions it has served: whether each was
 * ready or missing, and when it learnt it. Warm invocations read only this.
 */
export type CacheEntry = { ready: boolean; at: number }

const entries = new Map<string, CacheEntry>()

// Bounded so a scan of made-up function names cannot grow an isolate's memory without limit.
const MAX_ENTRIES = 10_000

export const replicaCache = {
  get: (key: string): CacheEntry | undefined => entries.get(key),
  set(key: string, ready: boolean, at = Date.now()): void {
    if (entries.size >= MAX_ENTRIES && !entries.has(key))
      entries.delete(entries.keys().next().value as string)
    entries.set(key, { ready, at })
  },
  forget: (key: string): void => {
    entries.delete(key)
  },
}
