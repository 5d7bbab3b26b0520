import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { methodNotAllowed } from '../http/allow'
import { plainText } from '../http/responses'

// The portal talks only to this gateway: no inline code, no other origin, nothing framed or sent elsewhere.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

// Vite names every file under /ui/assets/ by its content hash, so a name never changes meaning.
const HASHED = /^\/ui\/assets\//

/**
 * The portal's files (built from ui/ into the ASSETS binding), served after
 * the gateway's middleware so that basic auth guards them like /system/*.
 * Responses are `private`: behind basic auth a shared cache must not keep them.
 */
export const uiRoutes = new Hono<AppEnv>()
  .on(['GET', 'HEAD'], '/ui', (c) => c.redirect('/ui/', 308))
  .on(['GET', 'HEAD'], '/ui/*', async (c) => {
    // wrangler always binds the assets; a Worker served some other way (workerd alone) has no portal.
    if (!c.env.ASSETS)
      return plainText(501, 'the portal is not deployed with this gateway: no ASSETS binding')
    const url = new URL(c.req.url)
    if (url.pathname === '/ui/') url.pathname = '/ui/index.html'
    const asset = await c.env.ASSETS.fetch(url, { method: c.req.method, headers: conditional(c.req.raw) })
    if (asset.status === 404) return plainText(404, `no such file: ${c.req.path}`)
    const response = new Response(asset.body, asset)
    response.headers.set(
      'cache-control',
      HASHED.test(url.pathname) ? 'private, max-age=31536000, immutable' : 'private, no-cache',
    )
    response.headers.set('content-security-policy', CONTENT_SECURITY_POLICY)
    response.headers.set('x-content-type-options', 'nosniff')
    response.headers.set('referrer-policy', 'no-referrer')
    return response
  })
  .all('/ui/*', methodNotAllowed('GET'))
  .all('/ui', methodNotAllowed('GET'))

/** Only the revalidation headers go to the asset server; it needs nothing else of the caller's. */
function conditional(request: Request): Headers {
  const headers = new Headers()
  for (const name of ['if-none-match', 'if-modified-since']) {
    const value = request.headers.get(name)
    if (value !== null) headers.set(name, value)
  }
  return headers
}
