import type { Config } from '../config'
import type { Readiness } from '../durable/function-state'
import type { Bindings } from '../env'
import { type FunctionTarget, functionPath, functionScope } from '../http/function-path'
import { isolateMetrics } from '../metrics/isolate'
import { type Background, cacheKey, functionRef, readiness } from '../scale/from-zero'
import { refusal, SCALE_WAIT_HEADER, waitedSeconds } from '../scale/refusal'
import { forward } from './index'
import type { FunctionRef } from './provider-api'

/** The headers `invocationHeaders` built for one call, and the values the caller sees echoed. */
export type Call = { headers: Headers; callId: string; startTime: string }

/**
 * When the isolate's counts of an invocation are flushed: in the background
 * after a request, or by a queue consumer when its batch ends (a background
 * flush waits for its slot, which would hold the batch open).
 */
export type MetricsFlush = 'background' | 'batch'

/** One invocation: what it targets and carries, and where its background work runs. */
type Invocation = {
  flush: MetricsFlush
  env: Bindings
  config: Config
  background: Background
  target: FunctionTarget
  request: Request
  call: Call
  fn: FunctionRef
  startedAt: number
}

/**
 * One function invocation, sync or async: wake the function from zero if it
 * must be, then forward, counting it in the isolate's metrics. `request`
 * supplies the method and body. A function known ready in this isolate is
 * forwarded at once, with no Durable Object call and no await before
 * `forward`; this is the sync hot path.
 */
export function invokeFunction(
  env: Bindings,
  config: Config,
  background: Background,
  target: FunctionTarget,
  request: Request,
  call: Call,
  flush: MetricsFlush = 'background',
): Promise<Response> {
  const fn = functionRef(config, target)
  const invocation = { env, config, background, target, request, call, fn, flush, startedAt: Date.now() }
  const waiting = readiness(env, config, background, fn)
  if (waiting === undefined) return counted(invocation, undefined)
  // Names that are not deployed are not counted: made-up names must not grow the metrics.
  return waiting.then((ready) => (ready.kind === 'missing' ? refusal(fn, ready) : counted(invocation, ready)))
}

async function counted(
  invocation: Invocation,
  ready: Exclude<Readiness, { kind: 'missing' }> | undefined,
): Promise<Response> {
  const key = cacheKey(invocation.fn)
  const metrics = isolateMetrics(invocation.env)
  metrics.started(key)
  const waitedMs = ready?.kind === 'ready' ? ready.waitedMs : 0
  const wait =
    waitedMs > 0 && ready?.kind === 'ready'
      ? { seconds: waitedMs / 1000, coldStart: ready.coldStart === true }
      : undefined
  let status = 500
  try {
    const response =
      ready === undefined || ready.kind === 'ready'
        ? await forwardTo(invocation, waitedMs)
        : refusal(invocation.fn, ready)
    status = response.status
    return response
  } finally {
    metrics.ended(key, status, (Date.now() - invocation.startedAt) / 1000, wait)
    if (invocation.flush === 'background') metrics.scheduleFlush(invocation.background)
  }
}

async function forwardTo({ config, target, request, call }: Invocation, waitedMs: number): Promise<Response> {
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
