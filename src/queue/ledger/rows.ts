import { writtenName } from '../../function-ref'
import type { AsyncMessage, DeadLetterMessage } from '../message'

// The tables of one CallLedger shard, and conversions between rows and what the ledger's modules return.

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS calls (
  call_id TEXT NOT NULL,
  nonce TEXT NOT NULL,
  fn TEXT NOT NULL,
  state TEXT NOT NULL,
  runs INTEGER NOT NULL DEFAULT 0,
  lease_until INTEGER,
  status INTEGER,
  duration_ms REAL,
  headers TEXT,
  body BLOB,
  body_key TEXT,
  body_bytes INTEGER,
  callback_pending INTEGER NOT NULL DEFAULT 0,
  callback_attempts INTEGER NOT NULL DEFAULT 0,
  request_key TEXT,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (call_id, nonce)
);
CREATE INDEX IF NOT EXISTS calls_expiry ON calls (expires_at);
CREATE TABLE IF NOT EXISTS dead_letters (
  call_id TEXT PRIMARY KEY,
  nonce TEXT NOT NULL,
  fn TEXT NOT NULL,
  kind TEXT NOT NULL,
  reason TEXT NOT NULL,
  status INTEGER,
  attempts INTEGER NOT NULL,
  message TEXT NOT NULL,
  inline_body BLOB,
  body_key TEXT,
  body_bytes INTEGER NOT NULL,
  dead_at INTEGER NOT NULL,
  replayed_at INTEGER,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_time ON dead_letters (dead_at);
CREATE TABLE IF NOT EXISTS counters (
  fn TEXT PRIMARY KEY,
  enqueued INTEGER NOT NULL DEFAULT 0,
  completed INTEGER NOT NULL DEFAULT 0,
  retried INTEGER NOT NULL DEFAULT 0,
  dead_lettered INTEGER NOT NULL DEFAULT 0,
  callback_failures INTEGER NOT NULL DEFAULT 0
);
`

/** Where a call stands. `completed`/`exhausted` hold the final result until its callback is settled. */
export type CallState = 'running' | 'waiting' | 'completed' | 'exhausted' | 'settled'

export type CallRow = {
  call_id: string
  nonce: string
  fn: string
  state: CallState
  runs: number
  lease_until: number | null
  status: number | null
  duration_ms: number | null
  headers: string | null
  body: ArrayBuffer | null
  body_key: string | null
  body_bytes: number | null
  callback_pending: number
  callback_attempts: number
  request_key: string | null
  expires_at: number
}

export type DeadLetterRow = {
  call_id: string
  nonce: string
  fn: string
  kind: DeadLetterKind
  reason: string
  status: number | null
  attempts: number
  message: string
  inline_body: ArrayBuffer | null
  body_key: string | null
  body_bytes: number
  dead_at: number
  replayed_at: number | null
  expires_at: number
}

/** The function's final answer, kept until its callback is delivered. */
export type CallResult = {
  status: number
  // Pairs; typed loosely because RPC hands tuples back as plain arrays.
  headers: string[][]
  durationMs: number
  body: { inline: Uint8Array } | { stored: string; bytes: number }
}

export function resultOf(row: CallRow): CallResult | undefined {
  if (row.status === null) return undefined
  return {
    status: row.status,
    headers: JSON.parse(row.headers ?? '[]') as string[][],
    durationMs: row.duration_ms ?? 0,
    body: row.body_key
      ? { stored: row.body_key, bytes: row.body_bytes ?? 0 }
      : { inline: new Uint8Array(row.body ?? new ArrayBuffer(0)) },
  }
}

/** SQLite takes blobs as ArrayBuffers of exactly their bytes. */
export const blob = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer as ArrayBuffer

/**
 * `function`: the function never succeeded; `callback`: it did, but the
 * callback was never delivered; `unreadable`: a queue message that is not an
 * asynchronous call, kept so that what arrived and why it was refused can be read.
 */
export type DeadLetterKind = 'function' | 'callback' | 'unreadable'

/** A dead letter as the API lists it. */
export type DeadLetterView = {
  callId: string
  function: string
  kind: DeadLetterKind
  reason: string
  status?: number
  attempts: number
  method: string
  path: string
  callbackUrl?: string
  bodyBytes: number
  enqueuedAt: string
  deadAt: string
  replayedAt?: string
}

/** A queue message that could not be read as a call: where it came from, and the start of what it held. */
export type UnreadableLetter = {
  /** The queue's id for the message: the same on every redelivery. */
  messageId: string
  queue: string
  reason: string
  attempts: number
  /** The message as text, cut to a few hundred characters. */
  preview: string
  bytes: number
  enqueuedAt: number
}

/** The dead-letter id of an unreadable message: its queue message id, apart from any call id. */
export const unreadableId = (messageId: string): string => `queue-message:${messageId}`

export function viewOf(row: DeadLetterRow): DeadLetterView {
  if (row.kind === 'unreadable') {
    const letter = JSON.parse(row.message) as UnreadableLetter
    return {
      callId: row.call_id,
      function: '',
      kind: row.kind,
      reason: row.reason,
      attempts: row.attempts,
      method: '',
      path: `queue ${letter.queue}, message ${letter.messageId}: ${letter.preview}`,
      bodyBytes: row.body_bytes,
      enqueuedAt: new Date(letter.enqueuedAt).toISOString(),
      deadAt: new Date(row.dead_at).toISOString(),
    }
  }
  const message = JSON.parse(row.message) as Omit<AsyncMessage, 'body'>
  const segment = writtenName(message.target)
  return {
    callId: row.call_id,
    function: row.fn,
    kind: row.kind,
    reason: row.reason,
    ...(row.status !== null ? { status: row.status } : {}),
    attempts: row.attempts,
    method: message.method,
    path: `/async-function/${segment}${message.target.rest}${message.target.search}`,
    ...(message.callbackUrl ? { callbackUrl: message.callbackUrl } : {}),
    bodyBytes: row.body_bytes,
    enqueuedAt: new Date(message.enqueuedAt).toISOString(),
    deadAt: new Date(row.dead_at).toISOString(),
    ...(row.replayed_at !== null ? { replayedAt: new Date(row.replayed_at).toISOString() } : {}),
  }
}

/** The message a dead letter holds, rebuilt with its body. */
export function messageOf(row: DeadLetterRow): AsyncMessage {
  const message = JSON.parse(row.message) as Omit<AsyncMessage, 'body'>
  const body = row.body_key
    ? { stored: row.body_key, bytes: row.body_bytes }
    : { inline: new Uint8Array(row.inline_body ?? new ArrayBuffer(0)) }
  return { ...message, body }
}

/** The message without its body, as a dead letter stores it (the body has its own columns). */
export function headOf(letter: DeadLetterMessage): string {
  const { body: _body, ...head } = letter.message
  return JSON.stringify(head)
}
