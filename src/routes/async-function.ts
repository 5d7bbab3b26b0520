import { type Context, Hono } from 'hono'
import { invocationAccess } from '../access/invocation'
import type { Config } from '../config'
import type { AppEnv } from '../env'
import { type FunctionRef, functionKey, functionRef } from '../function-ref'
import { methodNotAllowed } from '../http/allow'
import { asyncFunctionPath, type FunctionTarget, parseFunctionTarget } from '../http/function-path'
import { noSuchFunction, plainText } from '../http/responses'
import { invocationHeaders } from '../invoke/call-headers'
import type { Call } from '../invoke/invoke'
import { type CallLine, coloOf, declaredBytes, logLine } from '../observe/call-log'
import { traceparent } from '../observe/trace-context'
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
    const startedAt = Date.now()
    const target = parseFunctionTarget(c.req.url, PREFIX)
    if ('status' in target) return plainText(target.status, target.message)
    const config = c.get('config')
    const fn = functionRef(config, target)
    const call = invocationHeaders(c.req.raw)
    const response = await accept(c, config, target, fn, call)
    return observedEnqueue(c.req.raw, config, target, fn, call, response, startedAt)
  })
  .all('/async-function/*', methodNotAllowed('POST'))

async function accept(
  c: Context<AppEnv>,
  config: Config,
  target: FunctionTarget,
  fn: FunctionRef,
  call: Call,
): Promise<Response> {
  const missing = BINDINGS.filter((name) => !c.env[name])
  if (missing.length > 0)
    return plainText(
      503,
      `asynchronous invocations are not available: this deployment has no ${missing.join(', ')} binding (see wrangler.toml)`,
    )
  const given = c.req.header('x-call-id')
  if (given !== undefined && !CALL_ID.test(given))
    return plainText(400, 'X-Call-Id must be 1 to 200 printable ASCII characters without spaces')
  const callback = c.req.header('x-callback-url')
  const checked = callback === undefined ? undefined : checkCallbackUrl(callback, config.async.callbackHosts)
  if (checked && 'problem' in checked) return plainText(400, checked.problem)
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
}

/** The answer with the trace hop that accepted the call (the run continues it) and its line in the log. */
function observedEnqueue(
  request: Request,
  config: Config,
  target: FunctionTarget,
  fn: FunctionRef,
  call: Call,
  response: Response,
  startedAt: number,
): Response {
  const durationMs = Date.now() - startedAt
  response.headers.set('traceparent', traceparent(call.trace))
  response.headers.append('server-timing', `gateway;dur=${durationMs}`)
  const line: CallLine = {
    kind: 'enqueue',
    callId: call.callId,
    function: fn.name,
    namespace: fn.namespace,
    method: request.method,
    path: asyncFunctionPath(target),
    status: response.status,
    durationMs,
    traceId: call.trace.traceId,
  }
  const bytesIn = declaredBytes(request.headers)
  if (bytesIn !== undefined) line.bytesIn = bytesIn
  const colo = coloOf(request)
  if (colo !== undefined) line.colo = colo
  logLine(config.log, line)
  return response
}
