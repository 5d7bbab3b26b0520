import type { Config } from '../config'
import type { Bindings } from '../env'
import { invokeFunction } from '../invoke/invoke'
import { logLine } from '../observe/call-log'
import { nextHop, propagate } from '../observe/trace-context'
import type { Background } from '../scale/from-zero'
import { readCapped } from './body'
import { type AsyncMessage, loggedCall } from './message'

/** What one run of the function answered, read whole so a callback can carry it and retries can resend it. */
export type Answer = {
  status: number
  headers: [string, string][]
  body: Uint8Array
  durationMs: number
  retryAfter: string | null
  /** The gateway's own answer for a call that can never succeed: not retried whatever its status. */
  final?: true
}

/**
 * Runs the call's function once through the same path as a sync call (scale
 * from zero included, and its line in the call log), with the method, path,
 * query, headers and body the caller sent. A body that has gone from R2 is an answer too (410): the call
 * can never run, and retrying would not change that.
 */
export async function runOnce(
  env: Bindings,
  config: Config,
  background: Background,
  message: AsyncMessage,
  attempt: number,
): Promise<Answer> {
  const started = Date.now()
  const headers = new Headers(message.headers)
  // A hop of the trace of the call that put it on the queue, a child of the hop that accepted it.
  const trace = nextHop(headers)
  propagate(headers, trace)
  // What the call log says of a run that never reached the function; invokeFunction logs the others.
  const unrun = (status: number, error: string) =>
    logLine(config.log, {
      kind: 'async',
      ...loggedCall(message),
      method: message.method,
      status,
      durationMs: Date.now() - started,
      attempt,
      traceId: trace.traceId,
      error,
    })
  const body = await requestBody(env, message)
  if (body === undefined) {
    const gone = `the stored request body of call ${message.callId} is gone`
    unrun(410, gone)
    return gatewayAnswer(410, gone, started)
  }
  const startTime = `${Date.now()}000000`
  headers.set('x-start-time', startTime)
  const request = new Request('http://async.invalid/', { method: message.method, body })
  // Counted like any call; the consumer flushes the counts when its batch ends.
  const response = await invokeFunction(
    env,
    config,
    background,
    message.target,
    request,
    { headers, callId: message.callId, startTime, trace, attempt },
    'batch',
    // A body kept in the message is held whole, so a 503 "no replica" can wake the function and send it again.
    'inline' in message.body ? message.body.inline : undefined,
  ).catch((error: unknown) => {
    unrun(502, `the call failed: ${error instanceof Error ? error.message : String(error)}`)
    throw error
  })
  const read = await readCapped(response.body, config.async.maxBodyBytes)
  if ('tooLarge' in read)
    return gatewayAnswer(
      502,
      `the function's response exceeds MAX_ASYNC_BODY (${config.async.maxBodyBytes} bytes), so no callback can carry it`,
      started,
    )
  return {
    status: response.status,
    headers: [...response.headers],
    body: read.bytes,
    durationMs: Date.now() - started,
    retryAfter: response.headers.get('retry-after'),
  }
}

async function requestBody(env: Bindings, message: AsyncMessage): Promise<BodyInit | null | undefined> {
  if ('inline' in message.body) return message.body.inline.byteLength > 0 ? message.body.inline : null
  const object = await env.ASYNC_BODIES.get(message.body.stored)
  return object === null ? undefined : object.body
}

function gatewayAnswer(status: number, text: string, started: number): Answer {
  return {
    status,
    headers: [['content-type', 'text/plain; charset=utf-8']],
    body: new TextEncoder().encode(`${text}\n`),
    durationMs: Date.now() - started,
    retryAfter: null,
    final: true,
  }
}
