import { bucketIndex, type Counts, codeCounts, functionCounts, isEmpty } from './batch'

/** One flush: what an isolate counted since its last one, under a number the shard de-duplicates by. */
export type Flush = {
  isolate: string
  seq: number
  counts: Counts
  /** Invocations in flight in this isolate now, per function (absent: none). */
  inflight: Record<string, number>
}

export type Send = (flush: Flush) => Promise<void>

export type Background = { waitUntil(promise: Promise<unknown>): void }

/**
 * An isolate's counts, kept in memory and flushed in the background at most
 * once per `intervalMs`. A flush that fails, or has no answer within
 * `timeoutMs`, is kept and sent again, under the same sequence number, before
 * anything newer: the shard applies each number once, so a retry after a lost
 * answer (or a late one landing after it) is not counted twice.
 */
export class MetricsBuffer {
  #id: string | undefined
  #seq = 0
  #counts: Counts = {}
  #pending: Flush | undefined
  #inflight = new Map<string, number>()
  #scheduled = false
  #reportInFlight = false
  #lastFlush = 0
  #flushing: Promise<boolean> | undefined

  constructor(
    private readonly send: Send,
    private readonly intervalMs = 1000,
    // Well inside the 30 s a Worker's background work may run after its response.
    private readonly timeoutMs = 10_000,
  ) {}

  /** Random ids cannot be made at a Worker's global scope, so the isolate's is made on first use. */
  get id(): string {
    this.#id ??= crypto.randomUUID()
    return this.#id
  }

  started(fn: string): void {
    functionCounts(this.#counts, fn).started++
    this.#inflight.set(fn, (this.#inflight.get(fn) ?? 0) + 1)
  }

  /** `wait` is set when the invocation waited for a scale from zero; `coldStart` when it started that wake. */
  ended(fn: string, status: number, seconds: number, wait?: { seconds: number; coldStart: boolean }): void {
    const counts = functionCounts(this.#counts, fn)
    const code = codeCounts(counts, status)
    code.count++
    code.sumSeconds += seconds
    code.buckets[bucketIndex(seconds)] = (code.buckets[bucketIndex(seconds)] ?? 0) + 1
    if (wait) {
      counts.waits++
      counts.waitSeconds += wait.seconds
      if (wait.coldStart) counts.coldStarts++
    }
    const inflight = (this.#inflight.get(fn) ?? 1) - 1
    if (inflight > 0) this.#inflight.set(fn, inflight)
    else this.#inflight.delete(fn)
  }

  /** Makes sure a flush will run in the background within `intervalMs`; one is scheduled at a time. */
  scheduleFlush(background: Background): void {
    if (this.#scheduled) return
    this.#scheduled = true
    background.waitUntil(this.#flushSoon())
  }

  /**
   * Makes sure the next flush tells the shards this isolate's calls in flight
   * though nothing was counted since: the shards forget a silent isolate's
   * gauge, and a call that lasts (a WebSocket) must not drop out of it.
   */
  reportInFlight(background: Background): void {
    this.#reportInFlight = true
    this.scheduleFlush(background)
  }

  /** Waits for the next flush slot, then flushes; one is scheduled at a time. */
  async #flushSoon(): Promise<void> {
    try {
      const wait = this.#lastFlush + this.intervalMs - Date.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    } finally {
      // Cleared whatever happens to the wait, so one lost timer cannot stop every later flush.
      this.#scheduled = false
    }
    await this.flush()
  }

  /**
   * Sends what is pending, or else what was counted since; a failure keeps it
   * for the next flush. Flushes never overlap: one asked for during another
   * runs after it, so a late answer to the first cannot be taken for the second's.
   */
  flush(): Promise<boolean> {
    const run = this.#flushing ? this.#flushing.then(() => this.#flushOnce()) : this.#flushOnce()
    this.#flushing = run
    void run.then(() => {
      if (this.#flushing === run) this.#flushing = undefined
    })
    return run
  }

  async #flushOnce(): Promise<boolean> {
    this.#lastFlush = Date.now()
    if (!this.#pending) {
      // Nothing started or ended since the last flush, so nothing (in flight included) changed.
      if (isEmpty(this.#counts) && !this.#reportInFlight) return true
      this.#reportInFlight = false
      this.#pending = {
        isolate: this.id,
        seq: ++this.#seq,
        counts: this.#counts,
        inflight: Object.fromEntries(this.#inflight),
      }
      this.#counts = {}
    }
    const pending = this.#pending
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      // A shard that never answers must not hold every later flush (and the isolate's counts) hostage.
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs)
      })
      await Promise.race([this.send(pending), late])
      this.#pending = undefined
      return true
    } catch (error) {
      console.warn(`metrics flush ${pending.seq} failed, kept for the next one:`, String(error))
      return false
    } finally {
      if (timer !== undefined) clearTimeout(timer)
    }
  }
}
