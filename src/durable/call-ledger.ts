import { DurableObject } from 'cloudflare:workers'
import type { Bindings } from '../env'
import type { Begin, CallKey, Orphans, Outcome } from '../queue/ledger/calls'
import * as calls from '../queue/ledger/calls'
import { type Counters, count, readCounters } from '../queue/ledger/counters'
import * as letters from '../queue/ledger/letters'
import {
  type CallResult,
  type CallRow,
  type DeadLetterView,
  SCHEMA,
  type UnreadableLetter,
} from '../queue/ledger/rows'
import { SWEEP_MS, sweep } from '../queue/ledger/sweep'
import type { AsyncMessage, DeadLetterMessage } from '../queue/message'

/**
 * One shard of the durable record of asynchronous calls (src/queue/ledger/):
 * its SQLite, its RPC surface and its sweep alarm. The rules, that make
 * at-least-once delivery run each function once, are in src/queue/ledger/calls.ts.
 * Rows expire ASYNC_RECORD_TTL after their last change (dead letters
 * ASYNC_DEAD_LETTER_TTL); the alarm sweeps them with the R2 bodies they still own.
 */
export class CallLedger extends DurableObject<Bindings> {
  #sql: SqlStorage
  #sweepScheduled = false

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env)
    this.#sql = ctx.storage.sql
    this.#sql.exec(SCHEMA)
  }

  /** Counts a call the producer has durably enqueued. */
  async enqueued(fn: string): Promise<void> {
    count(this.#sql, fn, 'enqueued')
  }

  async begin(call: CallKey, leaseMs: number, ttlMs: number, requestKey: string | null): Promise<Begin> {
    const claim = calls.begin(this.#sql, call, leaseMs, ttlMs, requestKey)
    if (claim.kind === 'run' && claim.attempt === 1) await this.#sweepLater(ttlMs)
    return claim
  }

  async renew(call: CallKey, attempt: number, leaseMs: number): Promise<boolean> {
    return calls.renew(this.#sql, call, attempt, leaseMs)
  }

  /** Run `attempt` failed in a way worth retrying; the next delivery runs it again. */
  async failed(call: CallKey, attempt: number, ttlMs: number): Promise<void> {
    calls.release(this.#sql, call, attempt, ttlMs, true)
  }

  /** The delivery holding the call failed itself before it could record an answer: run it again at once. */
  async release(call: CallKey, attempt: number, ttlMs: number): Promise<void> {
    calls.release(this.#sql, call, attempt, ttlMs, false)
  }

  /** Records the function's final answer; false when run `attempt` no longer holds the call. */
  async finished(
    call: CallKey,
    attempt: number,
    outcome: Outcome,
    result: CallResult | undefined,
    ttlMs: number,
    status?: number,
  ): Promise<boolean> {
    const done = calls.finish(this.#sql, call, attempt, outcome, result, ttlMs, status)
    if (done === undefined) return false
    if (done.settled) letters.replayDone(this.#sql, call.callId)
    await this.#deleteBodies(done.orphans)
    return true
  }

  /** The callback arrived: the result is no longer needed. */
  async delivered(call: CallKey): Promise<void> {
    const done = calls.delivered(this.#sql, call)
    if (done === undefined) return
    if (done.settled) letters.replayDone(this.#sql, call.callId)
    await this.#deleteBodies(done.orphans)
  }

  async undelivered(call: CallKey): Promise<number> {
    return calls.undelivered(this.#sql, call)
  }

  async deadLetter(letter: DeadLetterMessage, ttlMs: number): Promise<void> {
    letters.keepDeadLetter(this.#sql, letter, ttlMs)
    await this.#sweepLater(ttlMs)
  }

  async unreadable(letter: UnreadableLetter, ttlMs: number): Promise<void> {
    letters.keepUnreadable(this.#sql, letter, ttlMs)
    await this.#sweepLater(ttlMs)
  }

  async deadLetters(limit: number): Promise<DeadLetterView[]> {
    return letters.listDeadLetters(this.#sql, limit)
  }

  async replay(callId: string, newNonce: string): Promise<AsyncMessage | 'unreadable' | undefined> {
    return letters.replay(this.#sql, callId, newNonce)
  }

  async replayFailed(callId: string): Promise<void> {
    letters.replayFailed(this.#sql, callId)
  }

  async counters(): Promise<Record<string, Counters>> {
    return readCounters(this.#sql)
  }

  /** For tests: a call's row as stored. */
  async call(callId: string, nonce: string): Promise<CallRow | undefined> {
    return calls.callRow(this.#sql, { callId, nonce })
  }

  /** Deletes what has expired, with the R2 bodies it still owns. */
  override async alarm(): Promise<void> {
    this.#sweepScheduled = false
    const swept = sweep(this.#sql, Date.now())
    await this.#deleteBodies(swept.orphans)
    if (swept.next !== undefined) {
      await this.ctx.storage.setAlarm(swept.next)
      this.#sweepScheduled = true
    }
  }

  async #deleteBodies(keys: Orphans): Promise<void> {
    const present = keys.filter((key): key is string => key !== null)
    // A failed delete leaves the object to the bucket's lifecycle rule (see README).
    for (let i = 0; i < present.length; i += 1000)
      await this.env.ASYNC_BODIES.delete(present.slice(i, i + 1000)).catch((error: unknown) => {
        console.warn(`async: could not delete ${present.length} stored bodies:`, error)
      })
  }

  async #sweepLater(ttlMs: number): Promise<void> {
    if (this.#sweepScheduled) return
    this.#sweepScheduled = true
    if ((await this.ctx.storage.getAlarm()) === null)
      await this.ctx.storage.setAlarm(Date.now() + Math.min(SWEEP_MS, ttlMs))
  }
}
