import type { Config } from '../config'

/**
 * What a line is about: a synchronous call, one run of an asynchronous call,
 * accepting one onto the queue, delivering its callback, putting a scheduled
 * run on the queue, a WebSocket to a function (written when it closes), or a
 * management call under `/system/`.
 */
export type LineKind = 'sync' | 'async' | 'enqueue' | 'callback' | 'schedule' | 'websocket' | 'management'

/**
 * One line of the call log, written as JSON so that Workers Logs indexes each
 * field. Fields that are not known for a kind of call are left out.
 */
export type CallLine = {
  kind: Exclude<LineKind, 'management'>
  callId: string
  function: string
  namespace: string
  method: string
  /** As the caller wrote it, without the query: a query may carry anything. */
  path: string
  status: number
  /** From the call reaching the gateway to the response head (the callback's answer for `callback`; the close for `websocket`). */
  durationMs: number
  upstreamMs?: number
  coldStartMs?: number
  bytesIn?: number
  bytesOut?: number
  /** For `async`, the run's attempt; for `callback`, the delivery's. */
  attempt?: number
  colo?: string
  traceId: string
  /** For `callback`, the receiver's origin. */
  callback?: string
  /** For `websocket`, the messages relayed from the caller to the function and back. */
  messagesIn?: number
  messagesOut?: number
  /** Why a call failed when the status alone does not say (a callback that could not be reached). */
  error?: string
}

export type ManagementLine = {
  kind: 'management'
  /** The route as registered (`/system/function/:name`), or null when no route took the call. */
  route: string | null
  method: string
  path: string
  status: number
  durationMs: number
  /** The basic-auth user or the token's subject; never a credential. */
  subject?: string
  traceId: string
}

export type LogSettings = Config['log']

const SAMPLE_SPACE = 2 ** 32

/**
 * Whether a call with this outcome is logged. A call that did not succeed
 * (400 and above) always is, unless LOG_CALLS=none; LOG_SAMPLE keeps that share of
 * the others. The choice follows the trace id's last 32 bits (random by W3C
 * Level 2), so every hop of one trace is kept or none is, and a given trace id
 * is always decided the same way.
 */
export function isLogged(log: LogSettings, status: number, traceId: string): boolean {
  if (log.calls === 'none') return false
  if (status >= 400) return true
  if (log.calls === 'errors') return false
  return log.sample >= 1 || Number.parseInt(traceId.slice(-8), 16) < log.sample * SAMPLE_SPACE
}

/** Writes the line at the level its status deserves: Workers Logs filters on it. */
export function writeLine(line: CallLine | ManagementLine): void {
  const text = JSON.stringify(line)
  if (line.status >= 500) console.error(text)
  else if (line.status >= 400) console.warn(text)
  else console.log(text)
}

/** Logs the line if LOG_CALLS and LOG_SAMPLE keep it. */
export function logLine(log: LogSettings, line: CallLine | ManagementLine): void {
  if (isLogged(log, line.status, line.traceId)) writeLine(line)
}

/**
 * The data centre that took the request: the end of its `CF-Ray`, which is
 * `request.cf.colo` without reading `request.cf`. Reading it makes the runtime
 * build the whole cf object, which costs an invocation more than the rest of
 * its log line (bench/README.md, "The call log").
 */
export function coloOf(request: Request): string | undefined {
  const ray = request.headers.get('cf-ray')
  const dash = ray === null ? -1 : ray.lastIndexOf('-')
  return ray !== null && dash > 0 ? ray.slice(dash + 1) : undefined
}

/** A declared body size, when the message declares one. */
export function declaredBytes(headers: Headers): number | undefined {
  const value = headers.get('content-length')
  return value === null ? undefined : Number(value)
}
