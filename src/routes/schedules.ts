import { Hono } from 'hono'
import { permitted } from '../access/authorize'
import type { AppEnv } from '../env'
import { methodNotAllowed } from '../http/allow'
import { namespaceQuery } from '../http/query'
import { ledgerFor } from '../queue/ledger/shards'
import { scheduler } from '../schedule/objects'

/**
 * Scheduled functions (the cron-connector's annotations): each with its
 * schedule, next slot, last slot run and how that call stands in the call
 * ledger, the slots it missed, and what is wrong with it, if anything.
 */
export const schedulesRoutes = new Hono<AppEnv>()
  .get('/system/schedules', async (c) => {
    const namespace = namespaceQuery(c)
    const views = (await scheduler(c.env).report(Date.now())).filter(
      (v) => (!namespace || v.namespace === namespace) && permitted(c, 'Function:Read', v.namespace, v.name),
    )
    // The last run's outcome is the call ledger's: enqueued, running, completed (with its status), and so on.
    const schedules = await Promise.all(
      views.map(async ({ lastCall, ...view }) => {
        if (!lastCall) return { ...view, lastRun: null }
        const row = lastCall.error
          ? undefined
          : await ledgerFor(c.env, lastCall.callId).call(lastCall.callId, lastCall.nonce)
        return {
          ...view,
          lastRun: {
            callId: lastCall.callId,
            state: lastCall.error ? 'not queued' : (row?.state ?? 'queued'),
            status: row?.status ?? null,
            error: lastCall.error,
          },
        }
      }),
    )
    return c.json(schedules)
  })
  .all('/system/schedules', methodNotAllowed('GET'))
