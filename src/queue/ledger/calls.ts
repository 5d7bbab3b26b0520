import { count } from './counters'
import { blob, type CallResult, type CallRow, resultOf } from './rows'

// A call's life in its ledger shard: running → (waiting → running)* → completed or exhausted → settled.
// Each function is one step, over the shard's SQLite; what it frees in R2 it returns for the shard to delete.

/** One call as the consumer names it: its id, this enqueue's nonce, and the function (`name.namespace`). */
export type CallKey = { callId: string; nonce: string; fn: string }

/** `completed`: the function gave a final answer; `exhausted`: it failed on its last attempt. */
export type Outcome = 'completed' | 'exhausted'

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

/** R2 keys a step no longer needs; null where a row had none. */
export type Orphans = (string | null)[]

export function callRow(sql: SqlStorage, call: Pick<CallKey, 'callId' | 'nonce'>): CallRow | undefined {
  return sql
    .exec<CallRow>('SELECT * FROM calls WHERE call_id = ? AND nonce = ?', call.callId, call.nonce)
    .toArray()[0]
}

/**
 * Claims a delivery. A running call whose lease has expired is taken to have
 * died with its consumer and runs again: the one case in which a function can
 * run twice, and only if the consumer died mid-call.
 */
export function begin(
  sql: SqlStorage,
  call: CallKey,
  leaseMs: number,
  ttlMs: number,
  requestKey: string | null,
  now = Date.now(),
): Begin {
  const row = callRow(sql, call)
  if (row === undefined) {
    sql.exec(
      `INSERT INTO calls (call_id, nonce, fn, state, runs, lease_until, request_key, expires_at)
       VALUES (?, ?, ?, 'running', 1, ?, ?, ?)`,
      call.callId,
      call.nonce,
      call.fn,
      now + leaseMs,
      requestKey,
      now + ttlMs,
    )
    return { kind: 'run', attempt: 1 }
  }
  switch (row.state) {
    case 'running':
      if ((row.lease_until ?? 0) > now) return { kind: 'busy', retryInMs: (row.lease_until ?? now) - now }
      return rerun(sql, row, now, leaseMs, ttlMs)
    case 'waiting':
      return rerun(sql, row, now, leaseMs, ttlMs)
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

function rerun(sql: SqlStorage, row: CallRow, now: number, leaseMs: number, ttlMs: number): Begin {
  const runs = row.runs + 1
  sql.exec(
    `UPDATE calls SET state = 'running', runs = ?, lease_until = ?, expires_at = ? WHERE call_id = ? AND nonce = ?`,
    runs,
    now + leaseMs,
    now + ttlMs,
    row.call_id,
    row.nonce,
  )
  return { kind: 'run', attempt: runs }
}

/**
 * The delivery running attempt `attempt` is still at it: its lease is
 * extended to `leaseMs` from now. False when it no longer holds the call
 * (it finished, or its lease ran out and another delivery took the call over).
 */
export function renew(sql: SqlStorage, call: CallKey, attempt: number, leaseMs: number): boolean {
  const now = Date.now()
  const cursor = sql.exec(
    `UPDATE calls SET lease_until = ?
     WHERE call_id = ? AND nonce = ? AND state = 'running' AND runs = ? AND lease_until > ?`,
    now + leaseMs,
    call.callId,
    call.nonce,
    attempt,
    now,
  )
  return cursor.rowsWritten > 0
}

/**
 * Run `attempt` hands the call back (it failed in a way worth retrying, or
 * its delivery failed before recording an answer): the next delivery runs it
 * at once. True when it did; a delivery that no longer holds the call
 * changes nothing. `retried` counts it as a retry.
 */
export function release(
  sql: SqlStorage,
  call: CallKey,
  attempt: number,
  ttlMs: number,
  retried: boolean,
): boolean {
  const cursor = sql.exec(
    `UPDATE calls SET state = 'waiting', lease_until = NULL, expires_at = ?
     WHERE call_id = ? AND nonce = ? AND state = 'running' AND runs = ?`,
    Date.now() + ttlMs,
    call.callId,
    call.nonce,
    attempt,
  )
  const released = cursor.rowsWritten > 0
  if (released && retried) count(sql, call.fn, 'retried')
  return released
}

/**
 * Records the function's final answer: from here on, no delivery of this
 * message runs the function again. `result` is kept only when a callback
 * still has to carry it. A completed call no longer needs its request body;
 * an exhausted one keeps it for its dead letter. Undefined when the delivery
 * that ran `attempt` no longer holds the call (its lease ran out and another
 * took it over): the answer of a run that lost its lease is never recorded.
 */
export function finish(
  sql: SqlStorage,
  call: CallKey,
  attempt: number,
  outcome: Outcome,
  result: CallResult | undefined,
  ttlMs: number,
  // The status even when no callback needs the result: what /system/schedules shows of a run.
  status?: number,
): { settled: boolean; orphans: Orphans } | undefined {
  const row = callRow(sql, call)
  if (row === undefined || row.state !== 'running' || row.runs !== attempt) return undefined
  const inline = result && 'inline' in result.body ? blob(result.body.inline) : null
  const stored = result && 'stored' in result.body ? result.body : undefined
  const settled = outcome === 'completed' && result === undefined
  sql.exec(
    `UPDATE calls SET state = ?, lease_until = NULL, status = ?, duration_ms = ?, headers = ?, body = ?,
       body_key = ?, body_bytes = ?, callback_pending = ?, request_key = ?, expires_at = ?
     WHERE call_id = ? AND nonce = ?`,
    settled ? 'settled' : outcome,
    result?.status ?? status ?? null,
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
  if (outcome !== 'completed') return { settled, orphans: [] }
  count(sql, call.fn, 'completed')
  return { settled, orphans: [row.request_key] }
}

/** The callback arrived: the result is no longer needed. Undefined when there is no such call. */
export function delivered(
  sql: SqlStorage,
  call: CallKey,
): { settled: boolean; orphans: Orphans } | undefined {
  const row = callRow(sql, call)
  if (row === undefined) return undefined
  const state = row.state === 'completed' ? 'settled' : row.state
  sql.exec(
    `UPDATE calls SET state = ?, callback_pending = 0, body = NULL, body_key = NULL
     WHERE call_id = ? AND nonce = ?`,
    state,
    call.callId,
    call.nonce,
  )
  return { settled: state === 'settled', orphans: [row.body_key] }
}

/**
 * A callback delivery failed; returns how many have. An exhausted call's
 * callback is tried once: its dead letter, when replayed, delivers again.
 */
export function undelivered(sql: SqlStorage, call: CallKey): number {
  const row = callRow(sql, call)
  if (row === undefined) return 0
  const attempts = row.callback_attempts + 1
  sql.exec(
    `UPDATE calls SET callback_attempts = ?, callback_pending = ? WHERE call_id = ? AND nonce = ?`,
    attempts,
    row.state === 'exhausted' ? 0 : 1,
    call.callId,
    call.nonce,
  )
  count(sql, call.fn, 'callback_failures')
  return attempts
}
