import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { toProvider } from '../forward/management'
import { methodNotAllowed } from '../http/allow'

/** Health is the provider's: a gateway that cannot reach it is not healthy. */
export const healthRoutes = new Hono<AppEnv>()
  .get('/healthz', (c) => toProvider(c, '/healthz'))
  .all('/healthz', methodNotAllowed('GET'))
  .get('/', (c) => c.redirect('/ui/', 307))
  .all('/', methodNotAllowed('GET'))
