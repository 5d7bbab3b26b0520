import { Hono } from 'hono'
import { authorize } from '../access/authorize'
import type { AppEnv } from '../env'
import { methodNotAllowed } from '../http/allow'
import { badRequest } from '../http/input'
import { queryValue } from '../http/query'
import { plainText } from '../http/responses'
import { listDeadLetters, replayDeadLetter } from '../queue/dead-letters'

const DEFAULT_LIMIT = 100
const MAX_LIMIT = 1000

const LIST = '/system/async/dead-letters'
const REPLAY = '/system/async/dead-letters/:callId/replay'

/** Calls given up after their last attempt: listed newest first, and replayed one by one. Behind basic auth. */
export const deadLettersRoutes = new Hono<AppEnv>()
  .get(LIST, async function list(c) {
    authorize(c, 'System:Admin', '*')
    if (!c.env.CALL_LEDGER)
      return plainText(503, 'asynchronous invocations are not available: no CALL_LEDGER binding')
    const raw = queryValue(c, 'limit')
    const limit = raw === undefined ? DEFAULT_LIMIT : Number(raw)
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      throw badRequest(`invalid limit "${raw}": must be a whole number from 1 to ${MAX_LIMIT}`)
    return c.json(await listDeadLetters(c.env, limit))
  })
  .all(LIST, methodNotAllowed('GET'))
  .post(REPLAY, async function replay(c) {
    authorize(c, 'System:Admin', '*')
    if (!c.env.ASYNC_QUEUE || !c.env.CALL_LEDGER)
      return plainText(
        503,
        'asynchronous invocations are not available: no ASYNC_QUEUE or CALL_LEDGER binding',
      )
    const callId = c.req.param('callId')
    const outcome = await replayDeadLetter(c.env, callId)
    if ('missing' in outcome) return plainText(404, `no dead letter for call id ${callId}`)
    if ('unreadable' in outcome)
      return plainText(
        400,
        `dead letter ${callId} is a queue message that is not a call: there is nothing to replay`,
      )
    if ('failed' in outcome)
      return plainText(503, `could not enqueue the replay of ${callId}: ${outcome.failed}`)
    return new Response(null, { status: 202, headers: { 'x-call-id': callId } })
  })
  .all(REPLAY, methodNotAllowed('POST'))
