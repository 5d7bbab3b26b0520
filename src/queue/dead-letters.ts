import type { Config } from '../config'
import type { Bindings } from '../env'
import { describeIssues } from '../schemas/issues'
import { type DeadLetterView, unreadableId } from './ledger/rows'
import { allLedgers, ledgerFor } from './ledger/shards'
import { AsyncMessage, DeadLetterMessage, SEND_OPTIONS } from './message'

/**
 * One message from the dead-letter queue, kept in the call's ledger shard
 * until ASYNC_DEAD_LETTER_TTL. Ours say why the call was given up; one the
 * queue moved there itself (it exceeded max_retries) is a bare call.
 */
export async function recordDeadLetter(
  env: Bindings,
  config: Config,
  queue: string,
  msg: Message<unknown>,
): Promise<void> {
  const ours = DeadLetterMessage.safeParse(msg.body)
  let letter: DeadLetterMessage
  if (ours.success) letter = ours.data
  else {
    const bare = AsyncMessage.safeParse(msg.body)
    if (!bare.success) return recordUnreadable(env, config, queue, msg, describeIssues(bare.error, 'message'))
    letter = {
      message: bare.data,
      deadLetter: {
        kind: 'function',
        reason: 'the queue gave up on it after its max_retries deliveries',
        attempts: 0,
      },
    }
  }
  await ledgerFor(env, letter.message.callId).deadLetter(letter, config.async.deadLetterTtlMs)
  msg.ack()
}

const PREVIEW_CHARS = 500

/** What a message held, as text a person can read, cut short; and about how many bytes it was. */
function preview(body: unknown): { preview: string; bytes: number } {
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body))
    return { preview: `(${body.byteLength} bytes of binary data)`, bytes: body.byteLength }
  let text: string
  try {
    text = typeof body === 'string' ? body : (JSON.stringify(body) ?? String(body))
  } catch {
    text = Object.prototype.toString.call(body)
  }
  const cut =
    text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}… (${text.length} characters)` : text
  return { preview: cut, bytes: text.length }
}

/**
 * A queue message that is not an asynchronous call (a producer of another
 * version, a message sent by hand): kept as a dead letter that says why, then
 * acked, so it neither blocks its batch nor is retried. If it cannot be kept,
 * the error goes up and the message is retried: nothing is dropped unseen.
 */
export async function recordUnreadable(
  env: Bindings,
  config: Config,
  queue: string,
  msg: Message<unknown>,
  reason: string,
): Promise<void> {
  const text = `not an asynchronous call: ${reason}`
  console.warn(`queue ${queue}: message ${msg.id} kept as a dead letter, ${text}`)
  await ledgerFor(env, unreadableId(msg.id)).unreadable(
    {
      messageId: msg.id,
      queue,
      reason: text,
      attempts: msg.attempts,
      enqueuedAt: msg.timestamp.getTime(),
      ...preview(msg.body),
    },
    config.async.deadLetterTtlMs,
  )
  msg.ack()
}

/** The newest dead letters across every shard, newest first. */
export async function listDeadLetters(env: Bindings, limit: number): Promise<DeadLetterView[]> {
  const shards = await Promise.all(allLedgers(env).map((ledger) => ledger.deadLetters(limit)))
  return shards
    .flat()
    .sort((a, b) => b.deadAt.localeCompare(a.deadAt))
    .slice(0, limit)
}

export type Replay = { replayed: true } | { missing: true } | { unreadable: true } | { failed: string }

/** Puts a dead letter's call back on the queue. */
export async function replayDeadLetter(env: Bindings, callId: string): Promise<Replay> {
  const ledger = ledgerFor(env, callId)
  const message = await ledger.replay(callId, crypto.randomUUID())
  if (message === undefined) return { missing: true }
  if (message === 'unreadable') return { unreadable: true }
  try {
    await env.ASYNC_QUEUE.send(message, SEND_OPTIONS)
    return { replayed: true }
  } catch (error) {
    await ledger.replayFailed(callId)
    return { failed: error instanceof Error ? error.message : String(error) }
  }
}
