import { Hono } from 'hono'
import { invocationAccess } from '../access/invocation'
import type { AppEnv } from '../env'
import { functionKey, functionRef } from '../function-ref'
import { methodNotAllowed } from '../http/allow'
import { parseFunctionTarget } from '../http/function-path'
import { noSuchFunction, plainText } from '../http/responses'
import { invocationHeaders } from '../invoke/call-headers'
import { checkCallbackUrl } from '../queue/callback-url'
import { enqueue } from '../queue/produce'
import { existence } from '../scale/existence'

const PREFIX = '/async-function/'

// A call id becomes a storage key and travels in headers: printable ASCII, bounded.
const CALL_ID = /^[\x21-\x7e]{1,200}$/

const BINDINGS = ['ASYNC_QUEUE', 'ASYNC_DEAD_LETTERS', 'ASYNC_BODIES', 'CALL_LEDGER'] as const

/**
 * Asynchronous invocations: accepted with 202 and an `X-Call-Id` once the
 * call is durably on the queue; the consumer (src/queue) runs it and POSTs
 * the result to `X-Callback-Url`. Never behind basic auth; behind a token
 * only for functions that ask for one (src/access/invocation.ts).
 */
export const asyncFunctionRoutes = new Hono<AppEnv>()
  .post('/async-function/*', async function enqueueCall(c) {
    const target = parseFunctionTarget(c.req.url, PREFIX)
    if ('status' in target) return plainText(target.status, target.message)
    const missing = BINDINGS.filter((name) => !c.env[name])
    if (missing.length > 0)
      return plainText(
        503,
        `asynchronous invocations are not available: this deployment has no ${missing.join(', ')} binding (see wrangler.toml)`,
      )
    const config = c.get('config')
    const given = c.req.header('x-call-id')
    if (given !== undefined && !CALL_ID.test(given))
      return plainText(400, 'X-Call-Id must be 1 to 200 printable ASCII characters without spaces')
    const callback = c.req.header('x-callback-url')
    const checked =
      callback === undefined ? undefined : checkCallbackUrl(callback, config.async.callbackHosts)
    if (checked && 'problem' in checked) return plainText(400, checked.problem)
    const fn = functionRef(config, target)
    const call = invocationHeaders(c.req.raw)
    // Checked when the call is accepted: the run, later, carries X-Auth-Subject, never the token.
    if (config.jwt) {
      const refused = await invocationAccess(c.env, config, config.jwt, c.req.raw, fn, call.headers)
      if (refused) return refused
    }
    const exists = await existence(c.env, config, fn)
    if (exists.kind === 'missing') return noSuchFunction(functionKey(fn))
    if (exists.kind === 'fault') return plainText(exists.status, exists.message)
    const queued = await enqueue(c.env, config, c.executionCtx, c.req.raw, target, fn, call, checked?.url)
    if ('status' in queued) return plainText(queued.status, queued.message)
    return new Response(null, { status: 202, headers: { 'x-call-id': queued.callId } })
  })
  .all('/async-function/*', methodNotAllowed('POST'))
