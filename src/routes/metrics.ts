import { Hono, type MiddlewareHandler } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { methodNotAllowed } from '../http/allow'
import { exposition } from '../metrics/exposition'
import { readCounts } from '../metrics/read'
import { asyncCounters } from '../queue/counters'
import { replicaSync } from '../scale/objects'

const guards = new Map<string, MiddlewareHandler>()

/** Public like OpenFaaS's, unless METRICS_TOKEN is set; then a bearer token is required (compared in constant time). */
const metricsToken = createMiddleware<AppEnv>(async function metricsToken(c, next) {
  const token = c.get('config').metricsToken
  if (!token) return next()
  let guard = guards.get(token)
  if (!guard) {
    guard = bearerAuth({ token, realm: 'metrics' })
    guards.set(token, guard)
  }
  return guard(c, next)
})

export const metricsRoutes = new Hono<AppEnv>()
  .get('/metrics', metricsToken, async (c) => {
    const [{ counts, inflight }, replicas, calls] = await Promise.all([
      readCounts(c.env),
      replicaSync(c.env).replicas(),
      asyncCounters(c.env),
    ])
    return c.body(exposition({ counts, inflight, replicas, async: calls }), 200, {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
    })
  })
  .all('/metrics', methodNotAllowed('GET'))
