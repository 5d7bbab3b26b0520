import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { parseFunctionTarget } from '../http/function-path'
import { plainText } from '../http/responses'
import { invocationHeaders } from '../invoke/call-headers'
import { invokeFunction } from '../invoke/invoke'

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
