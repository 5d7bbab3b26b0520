import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { AppDeps } from './deps.ts'
import { functionRoutes } from './routes/functions.ts'
import { invokeRoutes } from './routes/invoke.ts'
import { logRoutes } from './routes/logs.ts'
import { namespaceRoutes } from './routes/namespaces.ts'
import { secretRoutes } from './routes/secrets.ts'
import { systemRoutes } from './routes/system.ts'

export function createApp(deps: AppDeps) {
  const app = new Hono()
  for (const routes of [
    systemRoutes,
    functionRoutes,
    secretRoutes,
    namespaceRoutes,
    logRoutes,
    invokeRoutes,
  ]) {
    app.route('/', routes(deps))
  }

  app.notFound((c) => c.text(`not found: ${c.req.path}`, 404))
  // Client mistakes arrive as HTTPExceptions and go back as plain text; anything else is our bug.
  app.onError((error, c) => {
    if (error instanceof HTTPException) return c.text(error.message, error.status)
    deps.log(`error: ${c.req.method} ${c.req.path}: ${error.stack ?? error.message}`)
    return c.text(`internal error: ${error.message}`, 500)
  })
  return app
}
