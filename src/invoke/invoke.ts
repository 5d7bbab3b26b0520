import type { Config } from '../config'
import type { Bindings } from '../env'
import { forward } from '../forward/forward'
import { type FunctionRef, functionKey, functionRef } from '../function-ref'
import { asyncFunctionPath, type FunctionTarget, functionPath, functionScope } from '../http/function-path'
import { isolateMetrics } from '../metrics/isolate'
import { type CallLine, coloOf, declaredBytes, isLogged, writeLine } from '../observe/call-log'
import { serverTiming } from '../observe/server-timing'
import { type Trace, traceparent } from '../observe/trace-context'
import { type Background, noReplica, readiness } from '../scale/from-zero'
import type { Readiness } from '../scale/readiness'
import { refusal, SCALE_WAIT_HEADER, waitedSeconds } from '../scale/refusal'

/** The headers `invocationHeaders` built for one call, the values the caller sees echoed, and its trace. */
export type Call = {
  headers: Headers
  callId: string
  startTime: string
  /** The gateway's hop of the call's trace, already in `headers` as `traceparent`. */
  trace: Trace
  /** The attempt, for a run of an asynchronous call; absent for a synchronous one. */
  attempt?: number
}

/**
 * When the isolate's counts of an invocation are flushed: in the background
 * after a request, or by a queue consumer when its batch ends (a background
 * flush waits for its slot, which would hold the batch open).
 */
export type MetricsFlush = 'background' | 'batch'

/**
 * The most of a body the gateway holds that it sends again after a 503 "no
 * replica": an asynchronous call's body kept in its queue message. A body
 * streamed from a caller, or from R2, is never held, so never replayed.
 */
export const REPLAY_BODY_LIMIT = 128 * 1024

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
  /** Time spent waiting for the provider's response heads, over every attempt of this invocation. */
  upstreamMs: number
  /** The request's body, when the gateway holds it whole and may send it twice. */
  held: Uint8Array | undefined
}

/**
 * One function invocation, sync or async: wake the function from zero if it
 * must be, then forward, counting it in the isolate's metrics. `request`
 * supplies the method and body. A function known ready in this isolate is
 * forwarded at once, with no Durable Object call and no await before
 * `forward`; this is the sync hot path. `held` is the request's body when the
 * caller holds it as bytes (the queue consumer), which makes the call
 * replayable after a 503 "no replica" as a bodiless one is.
 */
export function invokeFunction(
  env: Bindings,
  config: Config,
  background: Background,
  target: FunctionTarget,
  request: Request,
  call: Call,
  flush: MetricsFlush = 'background',
  held?: Uint8Array,
): Promise<Response> {
  const fn = functionRef(config, target)
  const invocation = {
    env,
    config,
    background,
    target,
    request,
    call,
    fn,
    flush,
    startedAt: Date.now(),
    upstreamMs: 0,
    held: held && held.byteLength <= REPLAY_BODY_LIMIT ? held : undefined,
  }
  const waiting = readiness(env, config, background, fn)
  if (waiting === undefined) return counted(invocation, undefined)
  // Names that are not deployed are not counted: made-up names must not grow the metrics.
  return waiting.then((ready) =>
    ready.kind === 'missing' ? observed(invocation, refusal(fn, ready), 0) : counted(invocation, ready),
  )
}

async function counted(
  invocation: Invocation,
  ready: Exclude<Readiness, { kind: 'missing' }> | undefined,
): Promise<Response> {
  const key = functionKey(invocation.fn)
  const metrics = isolateMetrics(invocation.env)
  metrics.started(key)
  // The start reaches the shards within a second too, so a drain to zero sees this call in flight.
  if (invocation.flush === 'background') metrics.scheduleFlush(invocation.background)
  let waitedMs = ready?.kind === 'ready' ? ready.waitedMs : 0
  let coldStart = ready?.kind === 'ready' && ready.coldStart === true
  let status = 500
  try {
    let response =
      ready === undefined || ready.kind === 'ready'
        ? await forwardTo(invocation, waitedMs)
        : refusal(invocation.fn, ready)
    if (response.status === 503 && replayable(invocation)) {
      const missed = await noReplica(invocation.env, invocation.config, invocation.fn, invocation.startedAt)
      if (missed !== undefined && missed.kind !== 'serving') {
        await response.body?.cancel()
        if (missed.kind === 'ready') {
          waitedMs += missed.waitedMs
          coldStart ||= missed.coldStart === true
        }
        response =
          missed.kind === 'ready' ? await forwardTo(invocation, waitedMs) : refusal(invocation.fn, missed)
      }
    }
    status = response.status
    return observed(invocation, response, waitedMs)
  } finally {
    const wait = waitedMs > 0 ? { seconds: waitedMs / 1000, coldStart } : undefined
    metrics.ended(key, status, (Date.now() - invocation.startedAt) / 1000, wait)
    if (invocation.flush === 'background') metrics.scheduleFlush(invocation.background)
  }
}

/**
 * Whether the call can be sent again: it has no body, or one the gateway
 * holds. A streamed body has been read by the first attempt. Only with scale
 * from zero on is there anything to wake.
 */
const replayable = (invocation: Invocation): boolean =>
  invocation.config.scaleFromZero && (invocation.request.body === null || invocation.held !== undefined)

async function forwardTo(invocation: Invocation, waitedMs: number): Promise<Response> {
  const { config, target, request, call, held } = invocation
  const sentAt = Date.now()
  const response = await forward(config, request, {
    path: functionPath(target),
    scope: functionScope(target),
    search: target.search,
    headers: call.headers,
    authenticate: false,
    ...(held ? { body: held } : {}),
  })
  invocation.upstreamMs += Date.now() - sentAt
  response.headers.set('x-call-id', call.callId)
  response.headers.set('x-start-time', call.startTime)
  if (waitedMs > 0) response.headers.set(SCALE_WAIT_HEADER, waitedSeconds(waitedMs))
  return response
}

/**
 * The call's answer as the caller gets it, once its head is known: where the
 * time went (Server-Timing), the gateway's hop of the trace, and the call's
 * line in the log.
 */
function observed(invocation: Invocation, response: Response, waitedMs: number): Response {
  const { call, config } = invocation
  const durationMs = Date.now() - invocation.startedAt
  const headers = response.headers
  headers.append('server-timing', serverTiming(durationMs, invocation.upstreamMs, waitedMs))
  headers.set('traceparent', traceparent(call.trace))
  if (isLogged(config.log, response.status, call.trace.traceId))
    writeLine(lineOf(invocation, response, durationMs, waitedMs))
  return response
}

function lineOf(
  { call, fn, target, request, upstreamMs, held }: Invocation,
  response: Response,
  durationMs: number,
  waitedMs: number,
): CallLine {
  const run = call.attempt !== undefined
  const line: CallLine = {
    kind: run ? 'async' : 'sync',
    callId: call.callId,
    function: fn.name,
    namespace: fn.namespace,
    method: request.method,
    path: run ? asyncFunctionPath(target) : functionPath(target),
    status: response.status,
    durationMs,
    upstreamMs,
    traceId: call.trace.traceId,
  }
  if (waitedMs > 0) line.coldStartMs = waitedMs
  const bytesIn = held?.byteLength ?? declaredBytes(call.headers)
  if (bytesIn !== undefined) line.bytesIn = bytesIn
  const bytesOut = declaredBytes(response.headers)
  if (bytesOut !== undefined) line.bytesOut = bytesOut
  if (run) line.attempt = call.attempt
  const colo = run ? undefined : coloOf(request)
  if (colo !== undefined) line.colo = colo
  return line
}
