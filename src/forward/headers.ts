const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z|~]+$/

/**
 * The caller's headers minus hop-by-hop ones, including any the caller listed
 * in `Connection`. Done before the gateway adds its own headers, so a caller
 * cannot use `Connection` to strip those.
 */
export function forwardableHeaders(request: Request): Headers {
  const headers = new Headers(request.headers)
  const listed = headers.get('connection')
  if (listed) {
    for (const name of listed.split(',')) {
      const token = name.trim()
      if (TOKEN.test(token)) headers.delete(token)
    }
  }
  for (const name of HOP_BY_HOP) headers.delete(name)
  return headers
}

/** The host the caller addressed, from the URL (a Host header is not always present). */
export function requestHost(url: string): string {
  const start = url.indexOf('://') + 3
  const end = url.indexOf('/', start)
  return end === -1 ? url.slice(start) : url.slice(start, end)
}
