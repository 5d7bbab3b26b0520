import { functionKey } from '../../function-ref'
import type { AsyncMessage, DeadLetterMessage } from '../message'
import { count } from './counters'
import {
  blob,
  type DeadLetterRow,
  type DeadLetterView,
  headOf,
  messageOf,
  type UnreadableLetter,
  unreadableId,
  viewOf,
} from './rows'

// Dead letters in a ledger shard: kept, listed, replayed. One per call id; a later one replaces it.

/**
 * Keeps a dead letter (from the dead-letter queue), replacing an earlier one
 * of the same call id. The request body, and for an undelivered callback the
 * stored result, now live as long as the dead letter.
 */
export function keepDeadLetter(sql: SqlStorage, letter: DeadLetterMessage, ttlMs: number): void {
  const { message, deadLetter } = letter
  const now = Date.now()
  const fn = functionKey(message.fn)
  const previous = sql
    .exec<DeadLetterRow>('SELECT * FROM dead_letters WHERE call_id = ?', message.callId)
    .toArray()[0]
  const repeated = previous?.nonce === message.nonce && previous.replayed_at === null
  const inline = 'inline' in message.body ? blob(message.body.inline) : null
  const stored = 'stored' in message.body ? message.body : undefined
  sql.exec(
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
  sql.exec(
    `UPDATE calls SET state = 'settled', lease_until = NULL, callback_pending = 0, request_key = NULL,
       expires_at = MAX(expires_at, ?) WHERE call_id = ? AND nonce = ?`,
    now + ttlMs,
    message.callId,
    message.nonce,
  )
  if (!repeated) count(sql, fn, 'dead_lettered')
}

/**
 * Keeps a queue message that is not a call as a dead letter of its own kind:
 * it names no function, has no body to run and cannot be replayed.
 */
export function keepUnreadable(sql: SqlStorage, letter: UnreadableLetter, ttlMs: number): void {
  const now = Date.now()
  sql.exec(
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
}

/** The newest dead letters first. */
export function listDeadLetters(sql: SqlStorage, limit: number): DeadLetterView[] {
  return sql
    .exec<DeadLetterRow>('SELECT * FROM dead_letters ORDER BY dead_at DESC LIMIT ?', limit)
    .toArray()
    .map(viewOf)
}

/**
 * The message that replays a dead letter, or undefined if there is none; the
 * dead letter is marked replayed. A function that never succeeded runs again
 * under a new nonce; a result whose callback was never delivered is delivered
 * again, without a run.
 */
export function replay(
  sql: SqlStorage,
  callId: string,
  newNonce: string,
): AsyncMessage | 'unreadable' | undefined {
  const row = sql.exec<DeadLetterRow>('SELECT * FROM dead_letters WHERE call_id = ?', callId).toArray()[0]
  if (row === undefined) return undefined
  if (row.kind === 'unreadable') return 'unreadable'
  // Marked before the message is sent, so that a replay settling at once finds it replayed.
  sql.exec('UPDATE dead_letters SET replayed_at = ? WHERE call_id = ?', Date.now(), callId)
  const message = messageOf(row)
  if (row.kind === 'function') return { ...message, nonce: newNonce }
  sql.exec(
    `UPDATE calls SET state = 'completed', callback_pending = 1, callback_attempts = 0
     WHERE call_id = ? AND nonce = ? AND status IS NOT NULL`,
    callId,
    row.nonce,
  )
  return message
}

/** The replayed message could not be sent: the dead letter stands as it was. */
export function replayFailed(sql: SqlStorage, callId: string): void {
  sql.exec('UPDATE dead_letters SET replayed_at = NULL WHERE call_id = ?', callId)
}

/** A replayed dead letter whose call has now settled normally is no longer dead. */
export function replayDone(sql: SqlStorage, callId: string): void {
  sql.exec('DELETE FROM dead_letters WHERE call_id = ? AND replayed_at IS NOT NULL', callId)
}
