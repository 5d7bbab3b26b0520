import type { MiddlewareHandler } from 'hono'
import { basicAuth } from 'hono/basic-auth'
import { createMiddleware } from 'hono/factory'
import { authenticate, logDenial, refusal } from '../access/principal'
import type { Config } from '../config'
import type { AppEnv } from '../env'
import { isPublicPath } from '../http/public-paths'

const guards = new WeakMap<NonNullable<Config['credentials']>, MiddlewareHandler>()

function guardFor(credentials: NonNullable<Config['credentials']>): MiddlewareHandler<AppEnv> {
  let guard = guards.get(credentials)
  if (!guard) {
    // Hono's basic auth compares hashes of both sides, so timing reveals nothing.
    guard = basicAuth({
      username: credentials.username,
      password: credentials.password,
      realm: 'Restricted',
      invalidUserMessage: 'invalid credentials',
      onAuthSuccess: (c) => c.set('principal', { subject: credentials.username, admin: true, grants: [] }),
    })
    guards.set(credentials, guard)
  }
  return guard
}

// With tokens only, the portal's files are public: a browser sends no token with a page load, and every
// call the portal makes carries the one pasted into it. Its data stays behind the token.
const PORTAL_FILES = /^\/(?:ui\/[-\w./]*)?$/

/**
 * Basic auth, JWT auth or both on everything except the public paths
 * (invocations, whose functions decide, and health). Guarding by default,
 * instead of listing `/system/*` and `/ui/`, means a path the router would
 * read differently from this check can only be over-guarded. Who got in is
 * `c.var.principal`; what it may do, each route asks (src/access/authorize.ts).
 */
export const gatewayAuth = createMiddleware<AppEnv>(async function gatewayAuth(c, next) {
  const config = c.get('config')
  if ((!config.credentials && !config.jwt) || isPublicPath(c.req.url)) return next()
  if (!config.jwt) return guardFor(config.credentials as NonNullable<Config['credentials']>)(c, next)
  if (!config.credentials && PORTAL_FILES.test(c.req.path) && !c.req.path.includes('..')) return next()
  const principal = await authenticate(c.req.raw, config)
  if ('reason' in principal) {
    logDenial('anonymous', c.req.method, c.req.path, principal.reason)
    return refusal(config, principal)
  }
  c.set('principal', principal)
  return next()
})
