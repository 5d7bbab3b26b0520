import type { Config } from '../config'
import { type Trace, traceparent } from '../observe/trace-context'
import { SIGNATURE_HEADER, sign, TIMESTAMP_HEADER } from './signature'

export type Delivery = {
  url: string
  callId: string
  /** The function as the caller named it: `name` or `name.namespace`. */
  functionName: string
  status: number
  headers: string[][]
  body: Uint8Array
  durationMs: number
  /** Retries made before the run whose result this is, and how many were allowed. */
  retry: number
  retryMax: number
  /** The delivery's hop of the trace of the call that was enqueued. */
  trace: Trace
}

/**
 * How the receiver answered: its status, or 502 (unreachable) or 504 (no
 * answer in time) as a gateway would say it.
 */
export type Delivered = { status: number } & (
  | { ok: true }
  | { ok: false; reason: string; retryAfter: string | null }
)

// The function's own headers that would mislead a receiver: ours replace them, or they describe a
// body or connection that is not this one.
const REPLACED = [
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'host',
  'tracestate',
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
]

/**
 * POSTs a call's result to its callback URL: the function's body and
 * headers, plus X-Call-Id, X-Function-Status, X-Function-Name,
 * X-Duration-Seconds, X-Retry and X-Retry-Max, the call's `traceparent`, signed when
 * CALLBACK_SIGNING_KEY is set. Built from nothing of the gateway's own, so
 * its credentials can never reach a receiver. Any 2xx is delivery;
 * redirects are not followed (the allowed-hosts check applies to the URL
 * given, not to wherever it points).
 */
export async function deliver(config: Config, delivery: Delivery): Promise<Delivered> {
  const headers = new Headers(delivery.headers as [string, string][])
  for (const name of REPLACED) headers.delete(name)
  headers.set('x-call-id', delivery.callId)
  headers.set('x-function-status', String(delivery.status))
  headers.set('x-function-name', delivery.functionName)
  headers.set('x-duration-seconds', (delivery.durationMs / 1000).toFixed(3))
  headers.set('x-retry', String(delivery.retry))
  headers.set('x-retry-max', String(delivery.retryMax))
  headers.set('traceparent', traceparent(delivery.trace))
  if (delivery.trace.state !== undefined) headers.set('tracestate', delivery.trace.state)
  if (config.async.signingKey) {
    const timestamp = String(Math.floor(Date.now() / 1000))
    headers.set(TIMESTAMP_HEADER, timestamp)
    headers.set(
      SIGNATURE_HEADER,
      await sign(config.async.signingKey, delivery.callId, timestamp, delivery.body),
    )
  }
  const deadline = new AbortController()
  const timer = setTimeout(() => deadline.abort(), config.async.callbackTimeoutMs)
  try {
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers,
      body: delivery.body,
      redirect: 'manual',
      signal: deadline.signal,
    })
    await response.body?.cancel()
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status }
    return {
      ok: false,
      status: response.status,
      reason: `the callback ${delivery.url} answered ${response.status}`,
      retryAfter: response.headers.get('retry-after'),
    }
  } catch (error) {
    const reason = deadline.signal.aborted
      ? `the callback ${delivery.url} did not answer within ${config.async.callbackTimeoutMs / 1000}s`
      : `cannot reach the callback ${delivery.url}: ${error instanceof Error ? error.message : String(error)}`
    return { ok: false, status: deadline.signal.aborted ? 504 : 502, reason, retryAfter: null }
  } finally {
    clearTimeout(timer)
  }
}
