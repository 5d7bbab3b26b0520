/** Headers that describe one connection, not the message (RFC 9110, 7.6.1): never passed on. */
export const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z|~]+$/

/**
 * The caller's headers minus hop-by-hop ones, including any the caller listed
 * in `Connection`. Done before the gateway adds its own headers, so a caller
 * cannot use `Connection` to strip those.
 */
export function forwardableHeaders(request: Request): Headers {
  const headers = withoutHopByHop(request.headers)
  // The provider is not the host the caller addressed.
  headers.delete('host')
  // The runtime negotiates compression with the provider and decodes it itself.
  headers.delete('accept-encoding')
  return headers
}

/**
 * The provider's response for the caller: status, headers and the body
 * stream, minus hop-by-hop headers. One copy (a fetched response's headers
 * are immutable), edited in place.
 */
export function forCaller(upstream: Response): Response {
  const response = new Response(upstream.body, upstream)
  const headers = response.headers
  dropHopByHop(headers)
  // The runtime has already decoded the body, so its encoding and length no longer describe it.
  if (headers.has('content-encoding')) {
    headers.delete('content-encoding')
    headers.delete('content-length')
  }
  return response
}

function withoutHopByHop(source: Headers): Headers {
  const headers = new Headers(source)
  dropHopByHop(headers)
  return headers
}

function dropHopByHop(headers: Headers): void {
  const listed = headers.get('connection')
  if (listed) {
    for (const name of listed.split(',')) {
      const token = name.trim()
      if (TOKEN.test(token)) headers.delete(token)
    }
  }
  for (const name of HOP_BY_HOP) headers.delete(name)
}

/** The host the caller addressed, from the URL (a Host header is not always present). */
export function requestHost(url: string): string {
  const start = url.indexOf('://') + 3
  const end = url.indexOf('/', start)
  return end === -1 ? url.slice(start) : url.slice(start, end)
}
