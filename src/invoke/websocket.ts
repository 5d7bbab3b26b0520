import type { Config } from '../config'
import type { Bindings } from '../env'
import { providerUrl, send } from '../forward/forward'
import { forCaller } from '../forward/headers'
import { type FunctionRef, functionKey, functionRef } from '../function-ref'
import { type FunctionTarget, functionPath, functionScope } from '../http/function-path'
import { plainText } from '../http/responses'
import { isolateMetrics } from '../metrics/isolate'
import { type CallLine, coloOf, logLine } from '../observe/call-log'
import { traceparent } from '../observe/trace-context'
import { type Background, noReplica, readiness } from '../scale/from-zero'
import type { Readiness } from '../scale/readiness'
import { refusal, SCALE_WAIT_HEADER, waitedSeconds } from '../scale/refusal'
import type { Call } from './invoke'

/**
 * Whether a request asks to open a WebSocket: a GET with `Upgrade: websocket`
 * and, when the runtime lets the Worker see one, a `Connection` that lists
 * `upgrade`. A stray `Upgrade` on a plain call is a hop-by-hop header, dropped.
 */
export function isWebSocketUpgrade(request: Request): boolean {
  if (request.method !== 'GET' || request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return false
  const connection = request.headers.get('connection')
  return connection === null || /(?:^|,)\s*upgrade\s*(?:,|$)/i.test(connection)
}

// How often an isolate holding WebSockets reports them in flight: the shards forget an isolate's gauge
// after 10 s of silence, and the idler must go on seeing a connection that carries no new calls.
const HEARTBEAT_MS = 5_000

// The client's handshake is the runtime's to make anew with the provider; these describe the old one.
const HANDSHAKE = ['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions']

/**
 * A WebSocket to a function: woken from zero first like any call, then
 * opened to the provider and relayed both ways, so the gateway sees the
 * connection's end. One invocation per connection, in flight while it is
 * open (which holds its function above zero against the idler), counted with
 * its duration when it closes; its line in the call log is written then.
 */
export async function invokeWebSocket(
  env: Bindings,
  config: Config,
  background: Background,
  target: FunctionTarget,
  request: Request,
  call: Call,
): Promise<Response> {
  const fn = functionRef(config, target)
  const key = functionKey(fn)
  const startedAt = Date.now()
  const ready = await readiness(env, config, background, fn)
  if (ready !== undefined && ready.kind !== 'ready') {
    const refused = refusal(fn, ready)
    log(config, request, target, fn, call, refused.status, startedAt, 0, 0)
    return refused
  }
  let waitedMs = ready?.waitedMs ?? 0
  const metrics = isolateMetrics(env)
  metrics.started(key)
  metrics.scheduleFlush(background)
  const sentAt = Date.now()
  let answer = await open(config, target, call)
  if (answer.status === 503 && config.scaleFromZero) {
    // The replica this isolate trusted is gone: the function's object wakes it, and the call is made again.
    const missed = await noReplica(env, config, fn, sentAt)
    if (missed?.kind === 'ready') {
      waitedMs += missed.waitedMs
      await answer.body?.cancel()
      answer = await open(config, target, call)
    } else if (missed !== undefined && missed.kind !== 'serving') {
      await answer.body?.cancel()
      answer = refusal(fn, missed as Exclude<Readiness, { kind: 'ready' }>)
    }
  }
  const upstreamMs = Date.now() - sentAt
  const upstream = answer.webSocket
  if (answer.status !== 101 || !upstream) {
    metrics.ended(key, answer.status, (Date.now() - startedAt) / 1000)
    metrics.scheduleFlush(background)
    log(config, request, target, fn, call, answer.status, startedAt, upstreamMs, waitedMs)
    return answer.webSocket
      ? plainText(502, `function ${key} answered ${answer.status} with a WebSocket`)
      : answer
  }
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket]
  const relay = relayed(upstream, server)
  const heartbeat = setInterval(() => metrics.reportInFlight(background), HEARTBEAT_MS)
  void relay.then((counts) => {
    clearInterval(heartbeat)
    metrics.ended(key, 101, (Date.now() - startedAt) / 1000)
    metrics.scheduleFlush(background)
    log(config, request, target, fn, call, 101, startedAt, upstreamMs, waitedMs, counts)
  })
  const headers = new Headers({ 'x-call-id': call.callId, traceparent: traceparent(call.trace) })
  const protocol = answer.headers.get('sec-websocket-protocol')
  if (protocol) headers.set('sec-websocket-protocol', protocol)
  if (waitedMs > 0) headers.set(SCALE_WAIT_HEADER, waitedSeconds(waitedMs))
  return new Response(null, { status: 101, webSocket: client, headers })
}

/** The provider's answer to the WebSocket handshake, under the upstream deadline; a fault as 502/504. */
async function open(config: Config, target: FunctionTarget, call: Call): Promise<Response> {
  const path = functionPath(target)
  const url = providerUrl(config, { path, scope: functionScope(target), search: target.search })
  if (url === undefined)
    return plainText(400, `refused ${path}: it resolves outside ${functionScope(target)}`)
  const headers = new Headers(call.headers)
  for (const name of HANDSHAKE) headers.delete(name)
  headers.set('upgrade', 'websocket')
  const sent = await send(config, url, { method: 'GET', headers }, path)
  if ('fault' in sent) return plainText(sent.fault, sent.message)
  return sent.response.webSocket ? sent.response : forCaller(sent.response)
}

type Counts = { messagesIn: number; messagesOut: number }

/**
 * Relays messages both ways between the caller's socket and the function's,
 * and the close of either to the other. Resolves when both are closed.
 */
function relayed(upstream: WebSocket, caller: WebSocket): Promise<Counts> {
  // Binary messages as bytes, which send() takes as they are; a Blob (the standard's default) it would not.
  upstream.binaryType = 'arraybuffer'
  caller.binaryType = 'arraybuffer'
  upstream.accept()
  caller.accept()
  const counts: Counts = { messagesIn: 0, messagesOut: 0 }
  return new Promise((resolve) => {
    let finished = false
    const finish = () => {
      if (finished) return
      finished = true
      resolve(counts)
    }
    caller.addEventListener('message', (event) => {
      counts.messagesIn++
      sendOrClose(upstream, caller, event.data)
    })
    upstream.addEventListener('message', (event) => {
      counts.messagesOut++
      sendOrClose(caller, upstream, event.data)
    })
    caller.addEventListener('close', (event) => {
      closeWith(upstream, event.code, event.reason)
      finish()
    })
    upstream.addEventListener('close', (event) => {
      closeWith(caller, event.code, event.reason)
      finish()
    })
    caller.addEventListener('error', () => {
      closeWith(upstream, 1011, 'the caller’s connection failed')
      finish()
    })
    upstream.addEventListener('error', () => {
      closeWith(caller, 1011, 'the function’s connection failed')
      finish()
    })
  })
}

function sendOrClose(to: WebSocket, from: WebSocket, data: string | ArrayBuffer): void {
  try {
    to.send(data)
  } catch {
    closeWith(from, 1011, 'the other side has gone')
  }
}

// Codes a close frame may carry; 1005 and 1006 only describe a close that had none.
const SENDABLE = (code: number) =>
  code === 1000 ||
  (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
  (code >= 3000 && code <= 4999)

function closeWith(socket: WebSocket, code: number, reason: string): void {
  try {
    if (SENDABLE(code)) socket.close(code, reason)
    else socket.close()
  } catch {
    // Already closed.
  }
}

function log(
  config: Config,
  request: Request,
  target: FunctionTarget,
  fn: FunctionRef,
  call: Call,
  status: number,
  startedAt: number,
  upstreamMs: number,
  waitedMs: number,
  counts?: Counts,
): void {
  const line: CallLine = {
    kind: 'websocket',
    callId: call.callId,
    function: fn.name,
    namespace: fn.namespace,
    method: request.method,
    path: functionPath(target),
    status,
    durationMs: Date.now() - startedAt,
    upstreamMs,
    traceId: call.trace.traceId,
  }
  if (waitedMs > 0) line.coldStartMs = waitedMs
  if (counts) Object.assign(line, counts)
  const colo = coloOf(request)
  if (colo !== undefined) line.colo = colo
  logLine(config.log, line)
}
