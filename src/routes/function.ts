import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { forward } from '../forward'
import { invocationHeaders } from '../forward/invocation'
import { functionPath, functionScope, parseFunctionTarget } from '../http/function-path'
import { plainText } from '../http/responses'
import { isolateMetrics } from '../metrics/isolate'
import { cacheKey, functionRef, readiness } from '../scale/from-zero'
import { refusal, SCALE_WAIT_HEADER, waitedSeconds } from '../scale/refusal'

const PREFIX = '/function/'

/** Synchronous invocations: any method, streamed both ways, never behind basic auth. */
export const functionRoutes = new Hono<AppEnv>().all('/function/*', async function invoke(c) {
  const startedAt = Date.now()
  const target = parseFunctionTarget(c.req.url, PREFIX)
  if ('status' in target) return plainText(target.status, target.message)
  const config = c.get('config')
  const fn = functionRef(config, target)
  const waiting = readiness(c.env, config, c.executionCtx, fn)
  const ready = waiting === undefined ? undefined : await waiting
  // Names that are not deployed are not counted: made-up names must not grow the metrics.
  if (ready?.kind === 'missing') return refusal(fn, ready)
  const key = cacheKey(fn)
  const metrics = isolateMetrics(c.env)
  metrics.started(key)
  const wait =
    ready && ready.kind === 'ready' && ready.waitedMs > 0
      ? { seconds: ready.waitedMs / 1000, coldStart: ready.coldStart === true }
      : undefined
  let response: Response
  if (ready && ready.kind !== 'ready') {
    response = refusal(fn, ready)
  } else {
    const { headers, callId, startTime } = invocationHeaders(c.req.raw)
    response = await forward(config, c.req.raw, {
      path: functionPath(target),
      scope: functionScope(target),
      search: target.search,
      headers,
      authenticate: false,
    })
    response.headers.set('x-call-id', callId)
    response.headers.set('x-start-time', startTime)
    if (wait) response.headers.set(SCALE_WAIT_HEADER, waitedSeconds(wait.seconds * 1000))
  }
  metrics.ended(key, response.status, (Date.now() - startedAt) / 1000, wait)
  metrics.scheduleFlush(c.executionCtx)
  return response
})
