import { Hono } from 'hono'
import { parseNanos } from '../clock.ts'
import type { AppDeps } from '../deps.ts'
import { type LogEntry, LogQuery } from '../schemas.ts'
import { readQuery } from '../validate.ts'
import { resource } from './resource.ts'

const encoder = new TextEncoder()
const line = (entry: LogEntry) => encoder.encode(`${JSON.stringify(entry)}\n`)

// NDJSON, one LogEntry per line, written as each line is produced. With follow=true the response stays
// open until the client goes away (or the function is deleted, or the provider stops).
export function logRoutes(deps: AppDeps) {
  const app = new Hono()

  resource(app, '/system/logs', {
    GET: (c) => {
      const query = readQuery(c, LogQuery)
      const namespace = query.namespace || deps.defaultNamespace
      deps.functions.get(namespace, query.name)
      const filter = { instance: query.instance, since: query.since ? parseNanos(query.since) : undefined }
      const signal = c.req.raw.signal
      let stop = () => {}

      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const entry of deps.logs.history(namespace, query.name, { ...filter, tail: query.tail })) {
            controller.enqueue(line(entry))
          }
          if (!query.follow) return controller.close()
          const unsubscribe = deps.logs.follow(namespace, query.name, filter, (entry) => {
            if (entry !== null) return controller.enqueue(line(entry))
            stop()
            controller.close()
          })
          const onAbort = () => stop()
          stop = () => {
            unsubscribe()
            signal.removeEventListener('abort', onAbort)
          }
          signal.addEventListener('abort', onAbort)
        },
        cancel: () => stop(),
      })
      return c.body(body, 200, { 'Content-Type': 'application/x-ndjson' })
    },
  })

  return app
}
