import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'

const handlers = new WeakMap<readonly string[], MiddlewareHandler>()
const EXPOSED = ['X-Call-Id', 'X-Start-Time', 'X-Duration-Seconds', 'Location']

function corsFor(origins: readonly string[]): MiddlewareHandler {
  let handler = handlers.get(origins)
  if (!handler) {
    const any = origins.includes('*')
    handler = cors({
      origin: any ? '*' : [...origins],
      allowMethods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'],
      exposeHeaders: EXPOSED,
      // Credentials (the portal's basic auth) may only be shared with named origins.
      credentials: !any,
      maxAge: 600,
    })
    handlers.set(origins, handler)
  }
  return handler
}

/**
 * The headers Hono's cors() gives an actual (non-preflight) request, set on
 * the final response. cors() sets them on `c.res` before the handler runs,
 * which makes Hono build a placeholder response and then copy the handler's
 * into a third: on every invocation, a measured third of the gateway's CPU.
 */
function actualRequestHeaders(
  origins: readonly string[],
  origin: string | undefined,
  headers: Headers,
): void {
  const any = origins.includes('*')
  const allowed = any ? '*' : origin && origins.includes(origin) ? origin : undefined
  if (allowed) headers.set('Access-Control-Allow-Origin', allowed)
  if (!any) headers.set('Access-Control-Allow-Credentials', 'true')
  headers.set('Access-Control-Expose-Headers', EXPOSED.join(','))
  if (!any) headers.append('Vary', 'Origin')
}

/**
 * CORS for the origins in CORS_ALLOWED_ORIGINS. A real preflight (OPTIONS with
 * Access-Control-Request-Method) is answered by Hono's cors(); a plain OPTIONS
 * invocation still reaches its function; every other request gets cors()'s
 * headers on its response.
 */
export const gatewayCors = createMiddleware<AppEnv>(async function gatewayCors(c, next) {
  const origins = c.get('config').corsOrigins
  if (origins.length === 0) return next()
  if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method')) {
    return corsFor(origins)(c, next)
  }
  await next()
  const origin = c.req.header('origin')
  try {
    actualRequestHeaders(origins, origin, c.res.headers)
  } catch {
    // A response whose headers are immutable (one fetched as it is, such as a static asset) is copied first.
    const copy = new Response(c.res.body, c.res)
    actualRequestHeaders(origins, origin, copy.headers)
    c.res = undefined
    c.res = copy
  }
})
