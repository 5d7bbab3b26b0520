/**
 * What this isolate knows of the functions it has served: whether each was
 * ready or missing, and since when. `at` is when the question that learnt it
 * was asked, not when the answer came: an answer can only be older than that.
 * Warm invocations read only this.
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
 * How long after asking an isolate may forward to a function its object said
 * was ready: REPLICA_CACHE_TTL with no question at all, then as long again
 * while a refresh is in flight, so a function called at least once per
 * REPLICA_CACHE_TTL never waits for a Durable Object. Past it the call asks
 * first. This is the whole of the trust an isolate holds, which is why a
 * drain to zero (`src/scale/drain.ts`) stops answering "ready" this long
 * before it lets the provider scale the function down.
 */
export const trustedReadyMs = (replicaCacheTtlMs: number): number => 2 * replicaCacheTtlMs
