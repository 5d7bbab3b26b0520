import { forwardableHeaders, requestHost } from '../forward/headers'

/**
 * Headers the gateway adds to every function invocation, sync or async:
 * a call id the caller may already have chosen, the start time in Unix
 * nanoseconds, and the forwarding headers (X-Forwarded-For extended with the client's
 * address, X-Forwarded-Host when no proxy in front set it).
 */
export function invocationHeaders(request: Request): { headers: Headers; callId: string; startTime: string } {
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
  return { headers, callId, startTime }
}
