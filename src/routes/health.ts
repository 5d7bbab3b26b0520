import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { forward } from '../forward/forward'
import { methodNotAllowed } from '../http/allow'

/** Health is the provider's: a gateway that cannot reach it is not healthy. */
export const healthRoutes = new Hono<AppEnv>()
  .get('/healthz', (c) =>
    // Only what a health check needs: no query and none of the caller's headers beside the gateway's credentials.
    forward(c.get('config'), c.req.raw, {
      path: '/healthz',
      headers: new Headers(),
      body: null,
      authenticate: true,
    }),
  )
  .all('/healthz', methodNotAllowed('GET'))
  .get('/', (c) => c.redirect('/ui/', 307))
  .all('/', methodNotAllowed('GET'))
