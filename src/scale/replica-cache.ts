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

/**
 * How long a ready entry is used, past REPLICA_CACHE_TTL, while it refreshes
 * in the background: 15 × REPLICA_CACHE_TTL (30 s at the default 2 s), so a
 * function called at least that often in an isolate never waits for a
 * Durable Object. Past it the call asks first. This bounds how long any
 * isolate can go on forwarding to a function another isolate idled to 0,
 * which is why the idler never idles after less.
 */
export const staleReadyMs = (replicaCacheTtlMs: number): number => 15 * replicaCacheTtlMs
