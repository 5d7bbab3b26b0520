import { Hono } from 'hono'
import type { AppDeps } from '../deps.ts'
import { resource } from './resource.ts'

export function systemRoutes(deps: AppDeps) {
  const app = new Hono()
  resource(app, '/healthz', { GET: (c) => c.text('OK') })
  resource(app, '/system/info', { GET: (c) => c.json(deps.info) })
  return app
}
