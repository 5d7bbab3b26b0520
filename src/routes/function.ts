import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { forward } from '../forward'
import { invocationHeaders } from '../forward/invocation'
import { functionPath, functionScope, parseFunctionTarget } from '../http/function-path'
import { plainText } from '../http/responses'

const PREFIX = '/function/'

/** Synchronous invocations: any method, streamed both ways, never behind basic auth. */
export const functionRoutes = new Hono<AppEnv>().all('/function/*', async function invoke(c) {
  const target = parseFunctionTarget(c.req.url, PREFIX)
  if ('status' in target) return plainText(target.status, target.message)
  const { headers, callId, startTime } = invocationHeaders(c.req.raw)
  const response = await forward(c.var.config, c.req.raw, {
    path: functionPath(target),
    scope: functionScope(target),
    search: target.search,
    headers,
    authenticate: false,
  })
  response.headers.set('x-call-id', callId)
  response.headers.set('x-start-time', startTime)
  return response
})
