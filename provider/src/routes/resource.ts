import type { Context, Hono } from 'hono'

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'
type Handler = (c: Context) => Response | Promise<Response>

// Registers a path's handlers and answers any other method on it with 405 and the Allow header,
// which Hono's router alone would report as a 404.
export function resource(app: Hono, path: string, handlers: Partial<Record<Method, Handler>>) {
  const methods = Object.keys(handlers) as Method[]
  for (const method of methods) app.on(method, path, handlers[method] as Handler)
  const allow = methods.includes('GET') ? [...methods, 'HEAD'] : methods
  app.all(path, (c) =>
    c.text(`method ${c.req.method} not allowed on ${c.req.path}`, 405, { Allow: allow.join(', ') }),
  )
}
