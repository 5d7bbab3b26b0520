import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { plainText } from '../http/responses'

// A host name, IPv4 address or IP literal, and an optional port. workerd builds
// `request.url` from Host and the request target as sent, so a Host carrying
// `/`, `?`, `#`, `@` or `%` would move text into the path every check reads.
// (RFC 3986 also allows percent-escapes and sub-delimiters in a host; no DNS name has them.)
const HOST = /^(?:[-A-Za-z0-9._~]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{0,5})?$/

/**
 * Refuses requests the gateway could not read or forward faithfully: a Host
 * that is not a host, and a GET or HEAD with a body (fetch cannot send one,
 * and dropping it would lose what the caller sent).
 */
export const wellFormed = createMiddleware<AppEnv>(async function wellFormed(c, next) {
  const host = c.req.raw.headers.get('host')
  if (host !== null && !HOST.test(host)) return plainText(400, 'the Host header is not a valid host[:port]')
  const method = c.req.method
  if ((method === 'GET' || method === 'HEAD') && c.req.raw.body !== null) {
    return plainText(400, `a ${method} request must not have a body`)
  }
  await next()
})
