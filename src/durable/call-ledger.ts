import { DurableObject } from 'cloudflare:workers'
import type { Bindings } from '../env'
import type { AsyncMessage, DeadLetterMessage } from '../queue/message'
import {
  blob,
  type CallResult,
  type CallRow,
  type DeadLetterRow,
  type DeadLetterView,
  headOf,
  messageOf,
  resultOf,
  SCHEMA,
  type UnreadableLetter,
  unreadableId,
  viewOf,
} from './call-ledger-rows'

export type { CallResult } from './call-ledger-rows'

/** One call as the consumer names it: its id, this enqueue's nonce, and the function (`name.namespace`). */
export type CallKey = { callId: string; nonce: string; fn: string }

/** What a delivery of a message should do. */
export type Begin =
  /** Run the function; `attempt` counts runs of this call, this one included. */
  | { kind: 'run'; attempt: number }
  /** Another delivery is running it now: come back once its lease has run out. */
  | { kind: 'busy'; retryInMs: number }
  /** The function has its final result: deliver the callback (`result` set) and/or dead-letter it. */
  | {
      kind: 'settle'
      outcome: Outcome
      attempt: number
      status?: number
      result?: CallResult
      callbackAttempts: number
    }
  /** Nothing is left to do: a redelivery of a settled call. */
  | { kind: 'done' }

/** `completed`: the function gave a final answer; `exhausted`: it failed on its last attempt. */
export type Outcome = 'completed' | 'exhausted'

export type Counters = {
  enqueued: number
  completed: number
  retried: number
  deadLettered: number
  callbackFailures: number
}

type Counter = 'enqueued' | 'completed' | 'retried' | 'dead_lettered' | 'callback_failures'

// While a shard holds rows it sweeps the expired ones this often (sooner when one expires sooner),
// so a row outlives its expiry by at most this long.
const SWEEP_MS = 3_600_000

/**
 * The durable record of asynchronous calls, sharded by call id (see
 * src/queue/ledger.ts). It makes at-least-once delivery run each function
 * once: a call's state moves running → (waiting → running)* → completed or
 * exhausted → settled, and a redelivered message reads where it stands.
 * It also keeps dead letters and the per-function counters. Rows expire
 * ASYNC_RECORD_TTL after their last change (dead letters ASYNC_DEAD_LETTER_TTL),
 * swept by an alarm, which deletes the R2 bodies they still own.
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
    this.#count(fn, 'enqueued')
  }

  /**
   * Claims a delivery. A running call whose lease has expired is taken to
   * have died with its consumer and runs again: the one case in which a
   * function can run twice, and only if the consumer died mid-call.
   */
  async begin(call: CallKey, leaseMs: number, ttlMs: number, requestKey: string | null): Promise<Begin> {
    const now = Date.now()
    const row = this.#row(call)
    if (row === undefined) {
      this.#sql.exec(
        `INSERT INTO calls (call_id, nonce, fn, state, runs, lease_until, request_key, expires_at)
         VALUES (?, ?, ?, 'running', 1, ?, ?, ?)`,
        call.callId,
        call.nonce,
        call.fn,
        now + leaseMs,
        requestKey,
        now + ttlMs,
      )
      await this.#sweepLater(ttlMs)
      return { kind: 'run', attempt: 1 }
    }
    switch (row.state) {
      case 'running':
        if ((row.lease_until ?? 0) > now) return { kind: 'busy', retryInMs: (row.lease_until ?? now) - now }
        return this.#rerun(row, now, leaseMs, ttlMs)
      case 'waiting':
        return this.#rerun(row, now, leaseMs, ttlMs)
      case 'completed':
      case 'exhausted': {
        const result = row.callback_pending ? resultOf(row) : undefined
        return {
          kind: 'settle',
          outcome: row.state,
          attempt: row.runs,
          ...(row.status !== null ? { status: row.status } : {}),
          ...(result ? { result } : {}),
          callbackAttempts: row.callback_attempts,
        }
      }
      case 'settled':
        return { kind: 'done' }
    }
  }

  /**
   * The delivery running attempt `attempt` is still at it: its lease is
   * extended to `leaseMs` from now. False when it no longer holds the call
   * (it finished, or its lease ran out and another delivery took the call over).
   */
  async renew(call: CallKey, attempt: number, leaseMs: number): Promise<boolean> {
    const cursor = this.#sql.exec(
      `UPDATE calls SET lease_until = ?
       WHERE call_id = ? AND nonce = ? AND state = 'running' AND runs = ? AND lease_until > ?`,
      Date.now() + leaseMs,
      call.callId,
      call.nonce,
      attempt,
      Date.now(),
    )
    return cursor.rowsWritten > 0
  }

  /**
   * Run `attempt` failed in a way worth retrying; the next delivery runs it
   * again. A delivery that no longer holds the call changes nothing.
   */
  async failed(call: CallKey, attempt: number, ttlMs: number): Promise<void> {
    if (this.#release(call, attempt, ttlMs)) this.#count(call.fn, 'retried')
  }

  /**
   * The delivery holding the call failed itself (storage, say) before it
   * could record an answer: the next delivery may run it at once rather than
   * wait for the lease to run out.
   */
  async release(call: CallKey, attempt: number, ttlMs: number): Promise<void> {
    this.#release(call, attempt, ttlMs)
  }

  /**
   * Records the function's final answer: from here on, no delivery of this
   * message runs the function again. `result` is kept only when a callback
   * still has to carry it. A completed call no longer needs its request body;
   * an exhausted one keeps it for its dead letter. False when the delivery
   * that ran `attempt` no longer holds the call (its lease ran out and another
   * took it over): the answer of a run that lost its lease is never recorded.
   */
  async finished(
    call: CallKey,
    attempt: number,
    outcome: Outcome,
    result: CallResult | undefined,
    ttlMs: number,
  ): Promise<boolean> {
    const row = this.#row(call)
    if (row === undefined || row.state !== 'running' || row.runs !== attempt) return false
    const inline = result && 'inline' in result.body ? blob(result.body.inline) : null
    const stored = result && 'stored' in result.body ? result.body : undefined
    const settled = outcome === 'completed' && result === undefined
    this.#sql.exec(
      `UPDATE calls SET state = ?, lease_until = NULL, status = ?, duration_ms = ?, headers = ?, body = ?,
         body_key = ?, body_bytes = ?, callback_pending = ?, request_key = ?, expires_at = ?
       WHERE call_id = ? AND nonce = ?`,
      settled ? 'settled' : outcome,
      result?.status ?? null,
      result?.durationMs ?? null,
      result ? JSON.stringify(result.headers) : null,
      inline,
      stored?.stored ?? null,
      stored?.bytes ?? (inline ? inline.byteLength : null),
      result ? 1 : 0,
      outcome === 'completed' ? null : row.request_key,
      Date.now() + ttlMs,
      call.callId,
      call.nonce,
    )
    if (outcome === 'completed') {
      this.#count(call.fn, 'completed')
      if (settled) this.#replayDone(call.callId)
      await this.#deleteBodies([row.request_key])
    }
    return true
  }

  /** The callback arrived: the result is no longer needed. */
  async delivered(call: CallKey): Promise<void> {
    const row = this.#row(call)
    if (row === undefined) return
    const state = row.state === 'completed' ? 'settled' : row.state
    this.#sql.exec(
      `UPDATE calls SET state = ?, callback_pending = 0, body = NULL, body_key = NULL
       WHERE call_id = ? AND nonce = ?`,
      state,
      call.callId,
      call.nonce,
    )
    if (state === 'settled') this.#replayDone(call.callId)
    await this.#deleteBodies([row.body_key])
  }

  /**
   * A callback delivery failed; returns how many have. An exhausted call's
   * callback is tried once: its dead letter, when replayed, delivers again.
   */
  async undelivered(call: CallKey): Promise<number> {
    const row = this.#row(call)
    if (row === undefined) return 0
    const attempts = row.callback_attempts + 1
    this.#sql.exec(
      `UPDATE calls SET callback_attempts = ?, callback_pending = ? WHERE call_id = ? AND nonce = ?`,
      attempts,
      row.state === 'exhausted' ? 0 : 1,
      call.callId,
      call.nonce,
    )
    this.#count(call.fn, 'callback_failures')
    return attempts
  }

  /**
   * Keeps a dead letter (from the dead-letter queue), replacing an earlier
   * one of the same call id. The request body, and for an undelivered
   * callback the stored result, now live as long as the dead letter.
   */
  async deadLetter(letter: DeadLetterMessage, ttlMs: number): Promise<void> {
    const { message, deadLetter } = letter
    const now = Date.now()
    const fn = `${message.fn.name}.${message.fn.namespace}`
    const previous = this.#sql
      .exec<DeadLetterRow>('SELECT * FROM dead_letters WHERE call_id = ?', message.callId)
      .toArray()[0]
    const repeated = previous?.nonce === message.nonce && previous.replayed_at === null
    const inline = 'inline' in message.body ? blob(message.body.inline) : null
    const stored = 'stored' in message.body ? message.body : undefined
    this.#sql.exec(
      `INSERT OR REPLACE INTO dead_letters (call_id, nonce, fn, kind, reason, status, attempts, message,
         inline_body, body_key, body_bytes, dead_at, replayed_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
      message.callId,
      message.nonce,
      fn,
      deadLetter.kind,
      deadLetter.reason,
      deadLetter.status ?? null,
      deadLetter.attempts,
      headOf(letter),
      inline,
      stored?.stored ?? null,
      stored?.bytes ?? inline?.byteLength ?? 0,
      repeated ? previous.dead_at : now,
      now + ttlMs,
    )
    // The call is settled; its row lives on with the dead letter, no longer owning the request body.
    this.#sql.exec(
      `UPDATE calls SET state = 'settled', lease_until = NULL, callback_pending = 0, request_key = NULL,
         expires_at = MAX(expires_at, ?) WHERE call_id = ? AND nonce = ?`,
      now + ttlMs,
      message.callId,
      message.nonce,
    )
    if (!repeated) this.#count(fn, 'dead_lettered')
    await this.#sweepLater(ttlMs)
  }

  /**
   * Keeps a queue message that is not a call as a dead letter of its own
   * kind: it names no function, has no body to run and cannot be replayed.
   */
  async unreadable(letter: UnreadableLetter, ttlMs: number): Promise<void> {
    const now = Date.now()
    this.#sql.exec(
      `INSERT OR IGNORE INTO dead_letters (call_id, nonce, fn, kind, reason, status, attempts, message,
         inline_body, body_key, body_bytes, dead_at, replayed_at, expires_at)
       VALUES (?, '', '', 'unreadable', ?, NULL, ?, ?, NULL, NULL, ?, ?, NULL, ?)`,
      unreadableId(letter.messageId),
      letter.reason,
      letter.attempts,
      JSON.stringify(letter),
      letter.bytes,
      now,
      now + ttlMs,
    )
    await this.#sweepLater(ttlMs)
  }

  /** The newest dead letters first. */
  async deadLetters(limit: number): Promise<DeadLetterView[]> {
    return this.#sql
      .exec<DeadLetterRow>('SELECT * FROM dead_letters ORDER BY dead_at DESC LIMIT ?', limit)
      .toArray()
      .map(viewOf)
  }

  /**
   * The message that replays a dead letter, or undefined if there is none;
   * the dead letter is marked replayed. A function that never succeeded runs
   * again under a new nonce; a result whose callback was never delivered is
   * delivered again, without a run.
   */
  async replay(callId: string, newNonce: string): Promise<AsyncMessage | 'unreadable' | undefined> {
    const row = this.#sql
      .exec<DeadLetterRow>('SELECT * FROM dead_letters WHERE call_id = ?', callId)
      .toArray()[0]
    if (row === undefined) return undefined
    if (row.kind === 'unreadable') return 'unreadable'
    // Marked before the message is sent, so that a replay settling at once finds it replayed.
    this.#sql.exec('UPDATE dead_letters SET replayed_at = ? WHERE call_id = ?', Date.now(), callId)
    const message = messageOf(row)
    if (row.kind === 'function') return { ...message, nonce: newNonce }
    this.#sql.exec(
      `UPDATE calls SET state = 'completed', callback_pending = 1, callback_attempts = 0
       WHERE call_id = ? AND nonce = ? AND status IS NOT NULL`,
      callId,
      row.nonce,
    )
    return message
  }

  /** The replayed message could not be sent: the dead letter stands as it was. */
  async replayFailed(callId: string): Promise<void> {
    this.#sql.exec('UPDATE dead_letters SET replayed_at = NULL WHERE call_id = ?', callId)
  }

  async counters(): Promise<Record<string, Counters>> {
    const rows = this.#sql.exec<{ fn: string } & Record<Counter, number>>('SELECT * FROM counters').toArray()
    return Object.fromEntries(
      rows.map((row) => [
        row.fn,
        {
          enqueued: row.enqueued,
          completed: row.completed,
          retried: row.retried,
          deadLettered: row.dead_lettered,
          callbackFailures: row.callback_failures,
        },
      ]),
    )
  }

  /** For tests: a call's row as stored. */
  async call(callId: string, nonce: string): Promise<CallRow | undefined> {
    return this.#row({ callId, nonce })
  }

  /** Deletes what has expired, with the R2 bodies it still owns. */
  override async alarm(): Promise<void> {
    this.#sweepScheduled = false
    const now = Date.now()
    const calls = this.#sql
      .exec<Pick<CallRow, 'body_key' | 'request_key'>>(
        'SELECT body_key, request_key FROM calls WHERE expires_at <= ?',
        now,
      )
      .toArray()
    const letters = this.#sql
      .exec<Pick<DeadLetterRow, 'body_key' | 'replayed_at'>>(
        'SELECT body_key, replayed_at FROM dead_letters WHERE expires_at <= ?',
        now,
      )
      .toArray()
    this.#sql.exec('DELETE FROM calls WHERE expires_at <= ?', now)
    this.#sql.exec('DELETE FROM dead_letters WHERE expires_at <= ?', now)
    await this.#deleteBodies([
      ...calls.flatMap((row) => [row.body_key, row.request_key]),
      // A replayed dead letter's body belongs to the replayed call, which deletes it when done.
      ...letters.filter((row) => row.replayed_at === null).map((row) => row.body_key),
    ])
    const next = this.#sql
      .exec<{ at: number | null }>(
        'SELECT MIN(at) AS at FROM (SELECT MIN(expires_at) AS at FROM calls UNION ALL SELECT MIN(expires_at) FROM dead_letters)',
      )
      .one().at
    if (next !== null) {
      await this.ctx.storage.setAlarm(Math.min(Math.max(next, now + 1000), now + SWEEP_MS))
      this.#sweepScheduled = true
    }
  }

  #row(call: Pick<CallKey, 'callId' | 'nonce'>): CallRow | undefined {
    return this.#sql
      .exec<CallRow>('SELECT * FROM calls WHERE call_id = ? AND nonce = ?', call.callId, call.nonce)
      .toArray()[0]
  }

  #release(call: CallKey, attempt: number, ttlMs: number): boolean {
    const cursor = this.#sql.exec(
      `UPDATE calls SET state = 'waiting', lease_until = NULL, expires_at = ?
       WHERE call_id = ? AND nonce = ? AND state = 'running' AND runs = ?`,
      Date.now() + ttlMs,
      call.callId,
      call.nonce,
      attempt,
    )
    return cursor.rowsWritten > 0
  }

  #rerun(row: CallRow, now: number, leaseMs: number, ttlMs: number): Begin {
    const runs = row.runs + 1
    this.#sql.exec(
      `UPDATE calls SET state = 'running', runs = ?, lease_until = ?, expires_at = ? WHERE call_id = ? AND nonce = ?`,
      runs,
      now + leaseMs,
      now + ttlMs,
      row.call_id,
      row.nonce,
    )
    return { kind: 'run', attempt: runs }
  }

  /** A replayed dead letter whose call has now settled normally is no longer dead. */
  #replayDone(callId: string): void {
    this.#sql.exec('DELETE FROM dead_letters WHERE call_id = ? AND replayed_at IS NOT NULL', callId)
  }

  #count(fn: string, counter: Counter): void {
    this.#sql.exec(
      `INSERT INTO counters (fn, ${counter}) VALUES (?, 1)
       ON CONFLICT (fn) DO UPDATE SET ${counter} = ${counter} + 1`,
      fn,
    )
  }

  async #deleteBodies(keys: (string | null)[]): Promise<void> {
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
