import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { forward } from '../forward'
import { invocationHeaders } from '../forward/invocation'
import { functionPath, functionScope, parseFunctionTarget } from '../http/function-path'
import { plainText } from '../http/responses'
import { functionRef, readiness } from '../scale/from-zero'
import { refusal, SCALE_WAIT_HEADER, waitedSeconds } from '../scale/refusal'

const PREFIX = '/function/'

/** Synchronous invocations: any method, streamed both ways, never behind basic auth. */
export const functionRoutes = new Hono<AppEnv>().all('/function/*', async function invoke(c) {
  const target = parseFunctionTarget(c.req.url, PREFIX)
  if ('status' in target) return plainText(target.status, target.message)
  const config = c.get('config')
  const fn = functionRef(config, target)
  const waiting = readiness(c.env, config, c.executionCtx, fn)
  let waitedMs = 0
  if (waiting !== undefined) {
    const ready = await waiting
    if (ready.kind !== 'ready') return refusal(fn, ready)
    waitedMs = ready.waitedMs
  }
  const { headers, callId, startTime } = invocationHeaders(c.req.raw)
  const response = await forward(config, c.req.raw, {
    path: functionPath(target),
    scope: functionScope(target),
    search: target.search,
    headers,
    authenticate: false,
  })
  response.headers.set('x-call-id', callId)
  response.headers.set('x-start-time', startTime)
  if (waitedMs > 0) response.headers.set(SCALE_WAIT_HEADER, waitedSeconds(waitedMs))
  return response
})
