import type { Config } from '../config'
import type { DeadLetterView } from '../durable/call-ledger-rows'
import type { Bindings } from '../env'
import { allLedgers, ledgerFor } from './ledger'
import { AsyncMessage, DeadLetterMessage, SEND_OPTIONS } from './message'

/**
 * One message from the dead-letter queue, kept in the call's ledger shard
 * until ASYNC_DEAD_LETTER_TTL. Ours say why the call was given up; one the
 * queue moved there itself (it exceeded max_retries) is a bare call.
 */
export async function recordDeadLetter(env: Bindings, config: Config, msg: Message<unknown>): Promise<void> {
  const ours = DeadLetterMessage.safeParse(msg.body)
  let letter: DeadLetterMessage
  if (ours.success) letter = ours.data
  else {
    const bare = AsyncMessage.safeParse(msg.body)
    if (!bare.success) {
      console.error(`dead-letter queue: dropping message ${msg.id}, which is not an asynchronous call`)
      msg.ack()
      return
    }
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

/** The newest dead letters across every shard, newest first. */
export async function listDeadLetters(env: Bindings, limit: number): Promise<DeadLetterView[]> {
  const shards = await Promise.all(allLedgers(env).map((ledger) => ledger.deadLetters(limit)))
  return shards
    .flat()
    .sort((a, b) => b.deadAt.localeCompare(a.deadAt))
    .slice(0, limit)
}

export type Replay = { replayed: true } | { missing: true } | { failed: string }

/** Puts a dead letter's call back on the queue. */
export async function replayDeadLetter(env: Bindings, callId: string): Promise<Replay> {
  const ledger = ledgerFor(env, callId)
  const message = await ledger.replay(callId, crypto.randomUUID())
  if (message === undefined) return { missing: true }
  try {
    await env.ASYNC_QUEUE.send(message, SEND_OPTIONS)
    return { replayed: true }
  } catch (error) {
    await ledger.replayFailed(callId)
    return { failed: error instanceof Error ? error.message : String(error) }
  }
}
