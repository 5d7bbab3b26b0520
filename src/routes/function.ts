import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { invocationHeaders } from '../forward/invocation'
import { invokeFunction } from '../forward/invoke'
import { parseFunctionTarget } from '../http/function-path'
import { plainText } from '../http/responses'

const PREFIX = '/function/'

/** Synchronous invocations: any method, streamed both ways, never behind basic auth. */
export const functionRoutes = new Hono<AppEnv>().all('/function/*', function invoke(c) {
  const target = parseFunctionTarget(c.req.url, PREFIX)
  if ('status' in target) return plainText(target.status, target.message)
  return invokeFunction(
    c.env,
    c.get('config'),
    c.executionCtx,
    target,
    c.req.raw,
    invocationHeaders(c.req.raw),
  )
})
