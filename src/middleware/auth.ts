import type { MiddlewareHandler } from 'hono'
import { basicAuth } from 'hono/basic-auth'
import { createMiddleware } from 'hono/factory'
import type { Config } from '../config'
import type { AppEnv } from '../env'
import { isPublicPath } from '../http/public-paths'

const guards = new WeakMap<NonNullable<Config['credentials']>, MiddlewareHandler>()

function guardFor(credentials: NonNullable<Config['credentials']>): MiddlewareHandler {
  let guard = guards.get(credentials)
  if (!guard) {
    // Hono's basic auth compares hashes of both sides, so timing reveals nothing.
    guard = basicAuth({
      username: credentials.username,
      password: credentials.password,
      realm: 'Restricted',
      invalidUserMessage: 'invalid credentials',
    })
    guards.set(credentials, guard)
  }
  return guard
}

/**
 * Basic auth on everything except the public paths (invocations and health).
 * Guarding by default, instead of listing `/system/*` and `/ui/`, means a path
 * the router would read differently from this check can only be over-guarded.
 */
export const gatewayAuth = createMiddleware<AppEnv>(async function gatewayAuth(c, next) {
  const credentials = c.get('config').credentials
  if (!credentials || isPublicPath(c.req.url)) return next()
  return guardFor(credentials)(c, next)
})
