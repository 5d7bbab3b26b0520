import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'

const handlers = new WeakMap<readonly string[], MiddlewareHandler>()

function corsFor(origins: readonly string[]): MiddlewareHandler {
  let handler = handlers.get(origins)
  if (!handler) {
    const any = origins.includes('*')
    handler = cors({
      origin: any ? '*' : [...origins],
      allowMethods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'],
      exposeHeaders: ['X-Call-Id', 'X-Start-Time', 'X-Duration-Seconds', 'Location'],
      // Credentials (the portal's basic auth) may only be shared with named origins.
      credentials: !any,
      maxAge: 600,
    })
    handlers.set(origins, handler)
  }
  return handler
}

/**
 * CORS for the origins in CORS_ALLOWED_ORIGINS. Only a real preflight
 * (OPTIONS with Access-Control-Request-Method) is answered here, so a plain
 * OPTIONS invocation still reaches its function.
 */
export const gatewayCors = createMiddleware<AppEnv>(async function gatewayCors(c, next) {
  const origins = c.get('config').corsOrigins
  if (origins.length === 0) return next()
  if (c.req.method === 'OPTIONS' && !c.req.header('access-control-request-method')) return next()
  return corsFor(origins)(c, next)
})
