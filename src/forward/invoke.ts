import type { Config } from '../config'
import type { Bindings } from '../env'
import { type FunctionTarget, functionPath, functionScope } from '../http/function-path'
import { type Background, functionRef, readiness } from '../scale/from-zero'
import { refusal, SCALE_WAIT_HEADER, waitedSeconds } from '../scale/refusal'
import { forward } from './index'

/** The headers `invocationHeaders` built for one call, and the values the caller sees echoed. */
export type Call = { headers: Headers; callId: string; startTime: string }

/**
 * One function invocation, sync or async: wake the function from zero if it
 * must be, then forward. `request` supplies the method and body. A function
 * known ready in this isolate is forwarded at once, with no Durable Object
 * call and no await before `forward`; this is the sync hot path.
 */
export function invokeFunction(
  env: Bindings,
  config: Config,
  background: Background,
  target: FunctionTarget,
  request: Request,
  call: Call,
): Promise<Response> {
  const fn = functionRef(config, target)
  const waiting = readiness(env, config, background, fn)
  if (waiting === undefined) return forwardTo(config, target, request, call, 0)
  return waiting.then((ready) =>
    ready.kind === 'ready' ? forwardTo(config, target, request, call, ready.waitedMs) : refusal(fn, ready),
  )
}

async function forwardTo(
  config: Config,
  target: FunctionTarget,
  request: Request,
  call: Call,
  waitedMs: number,
): Promise<Response> {
  const response = await forward(config, request, {
    path: functionPath(target),
    scope: functionScope(target),
    search: target.search,
    headers: call.headers,
    authenticate: false,
  })
  response.headers.set('x-call-id', call.callId)
  response.headers.set('x-start-time', call.startTime)
  if (waitedMs > 0) response.headers.set(SCALE_WAIT_HEADER, waitedSeconds(waitedMs))
  return response
}
