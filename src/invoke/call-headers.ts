import { forwardableHeaders, requestHost } from '../forward/headers'
import { continueTrace, propagate, traceparent } from '../observe/trace-context'
import type { Call } from './invoke'

/**
 * Headers the gateway adds to every function invocation, sync or async:
 * a call id the caller may already have chosen, the start time in Unix
 * nanoseconds, the gateway's hop of the caller's W3C trace (or of a new one),
 * and the forwarding headers (X-Forwarded-For extended with the client's
 * address, X-Forwarded-Host when no proxy in front set it).
 */
export function invocationHeaders(request: Request): Call {
  const headers = forwardableHeaders(request)
  let callId = headers.get('x-call-id')
  if (!callId) {
    callId = crypto.randomUUID()
    headers.set('x-call-id', callId)
  }
  const startTime = `${Date.now()}000000`
  headers.set('x-start-time', startTime)
  if (!headers.has('x-forwarded-host')) headers.set('x-forwarded-host', requestHost(request.url))
  // As proxies do: the chain the caller claims, then the address Cloudflare saw.
  const client = headers.get('cf-connecting-ip')
  if (client) {
    const chain = headers.get('x-forwarded-for')
    headers.set('x-forwarded-for', chain ? `${chain}, ${client}` : client)
  }
  const parent = headers.get('traceparent')
  // Without a traceparent there is no tracestate to read; with one, it is passed on only if valid.
  const trace = continueTrace(parent, parent === null ? null : headers.get('tracestate'))
  if (parent === null) headers.set('traceparent', traceparent(trace))
  else propagate(headers, trace)
  return { headers, callId, startTime, trace }
}
