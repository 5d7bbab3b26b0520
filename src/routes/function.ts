import { Hono } from 'hono'
import { invocationAccess } from '../access/invocation'
import type { Config } from '../config'
import type { AppEnv, Bindings } from '../env'
import { functionRef } from '../function-ref'
import type { FunctionTarget } from '../http/function-path'
import { parseFunctionTarget } from '../http/function-path'
import { plainText } from '../http/responses'
import { invocationHeaders } from '../invoke/call-headers'
import { invokeFunction } from '../invoke/invoke'
import { invokeWebSocket, isWebSocketUpgrade } from '../invoke/websocket'
import type { Background } from '../scale/from-zero'

const PREFIX = '/function/'

/**
 * Synchronous invocations: any method, streamed both ways, never behind basic
 * auth; behind a token only for functions that ask for one (src/access/invocation.ts).
 * A GET with `Upgrade: websocket` opens a WebSocket to the function (src/invoke/websocket.ts).
 */
export const functionRoutes = new Hono<AppEnv>().all('/function/*', function invoke(c) {
  const target = parseFunctionTarget(c.req.url, PREFIX)
  if ('status' in target) return plainText(target.status, target.message)
  const config = c.get('config')
  const call = invocationHeaders(c.req.raw)
  if (config.jwt) return guarded(c.env, config, config.jwt, c.executionCtx, target, c.req.raw, call)
  if (isWebSocketUpgrade(c.req.raw))
    return invokeWebSocket(c.env, config, c.executionCtx, target, c.req.raw, call)
  return invokeFunction(c.env, config, c.executionCtx, target, c.req.raw, call)
})

async function guarded(
  env: Bindings,
  config: Config,
  jwt: NonNullable<Config['jwt']>,
  background: Background,
  target: FunctionTarget,
  request: Request,
  call: ReturnType<typeof invocationHeaders>,
): Promise<Response> {
  const refused = await invocationAccess(env, config, jwt, request, functionRef(config, target), call.headers)
  if (refused) return refused
  if (isWebSocketUpgrade(request)) return invokeWebSocket(env, config, background, target, request, call)
  return invokeFunction(env, config, background, target, request, call)
}
