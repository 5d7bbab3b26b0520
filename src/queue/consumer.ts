import { loadConfig } from '../config'
import type { Bindings } from '../env'
import { isolateMetrics } from '../metrics/isolate'
import { describeIssues } from '../schemas/issues'
import { handleCall } from './call'
import { recordDeadLetter, recordUnreadable } from './dead-letters'
import { AsyncMessage, DeadLetterMessage } from './message'
import { backoffSeconds } from './retry'

// A deployment whose configuration is broken is retried later, not given up: fixing it is enough.
const BROKEN_CONFIG_DELAY_S = 60

/**
 * The queue handler, for both queues. Messages are handled concurrently and
 * each is acked or retried on its own, so one poison message never makes its
 * batch redeliver.
 */
export async function consume(
  batch: MessageBatch<unknown>,
  env: Bindings,
  ctx: ExecutionContext,
): Promise<void> {
  const loaded = loadConfig(env)
  if (!loaded.ok) {
    batch.retryAll({ delaySeconds: BROKEN_CONFIG_DELAY_S })
    return
  }
  const config = loaded.config
  const deadLetterQueue = batch.queue === config.async.deadLetterQueue
  await Promise.all(
    batch.messages.map(async (msg) => {
      try {
        // One of our dead letters is recognised by its shape too, so a misnamed ASYNC_DEAD_LETTER_QUEUE
        // cannot make it look like a broken call and drop it.
        if (deadLetterQueue || DeadLetterMessage.safeParse(msg.body).success)
          return await recordDeadLetter(env, config, batch.queue, msg)
        const parsed = AsyncMessage.safeParse(msg.body)
        if (!parsed.success)
          return await recordUnreadable(
            env,
            config,
            batch.queue,
            msg,
            describeIssues(parsed.error, 'message'),
          )
        await handleCall({ env, config, background: ctx, msg, message: parsed.data })
      } catch (error) {
        console.error(`async queue: message ${msg.id} failed, retrying:`, error)
        msg.retry({ delaySeconds: backoffSeconds(config, msg.attempts) })
      }
    }),
  )
  // The batch's invocations are counted now rather than a second from now, which would hold the batch open.
  await isolateMetrics(env).flush()
}
