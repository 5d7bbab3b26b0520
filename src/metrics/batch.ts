// What an isolate counts between flushes, and what a shard adds up: plain
// objects, so a batch crosses a Durable Object RPC as it is.

/** Prometheus's default histogram buckets, in seconds. */
export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const

/** Invocations of one function that ended with one status code. */
export type CodeCounts = {
  count: number
  sumSeconds: number
  /** Per bucket, not cumulative; one more slot than BUCKETS for +Inf. */
  buckets: number[]
}

export type FunctionCounts = {
  started: number
  /** Invocations that waited for a scale from zero, and how long they waited in all. */
  waits: number
  waitSeconds: number
  /** Wakes from zero: one per scale-up, however many invocations waited for it. */
  coldStarts: number
  codes: Record<string, CodeCounts>
}

/** Counts per function (`name.namespace`). */
export type Counts = Record<string, FunctionCounts>

export function emptyCodeCounts(): CodeCounts {
  return { count: 0, sumSeconds: 0, buckets: new Array(BUCKETS.length + 1).fill(0) }
}

export function functionCounts(counts: Counts, fn: string): FunctionCounts {
  let entry = counts[fn]
  if (!entry) {
    entry = { started: 0, waits: 0, waitSeconds: 0, coldStarts: 0, codes: {} }
    counts[fn] = entry
  }
  return entry
}

export function codeCounts(counts: FunctionCounts, code: string | number): CodeCounts {
  let entry = counts.codes[code]
  if (!entry) {
    entry = emptyCodeCounts()
    counts.codes[code] = entry
  }
  return entry
}

export function bucketIndex(seconds: number): number {
  for (let i = 0; i < BUCKETS.length; i++) if (seconds <= (BUCKETS[i] as number)) return i
  return BUCKETS.length
}

/** Adds `from` into `into`. */
export function addCounts(into: Counts, from: Counts): Counts {
  for (const [fn, source] of Object.entries(from)) {
    const target = functionCounts(into, fn)
    target.started += source.started
    target.waits += source.waits
    target.waitSeconds += source.waitSeconds
    target.coldStarts += source.coldStarts
    for (const [code, c] of Object.entries(source.codes)) {
      const t = codeCounts(target, code)
      t.count += c.count
      t.sumSeconds += c.sumSeconds
      c.buckets.forEach((n, i) => {
        t.buckets[i] = (t.buckets[i] ?? 0) + n
      })
    }
  }
  return into
}

export function isEmpty(counts: Counts): boolean {
  for (const _ in counts) return false
  return true
}
