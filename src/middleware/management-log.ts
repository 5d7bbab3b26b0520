import { createMiddleware } from 'hono/factory'
import { routePath } from 'hono/route'
import type { AppEnv } from '../env'
import { logLine, type ManagementLine } from '../observe/call-log'
import { continueTrace } from '../observe/trace-context'

const MOUNT = '/system/*'

/**
 * One line in the call log per management call, written once its response
 * head is known: the route it took, its status and time, and who made it
 * (never a credential, a body or the query). Mounted outside auth, so refused
 * calls are logged too; the trace id is the caller's when it sent a valid
 * `traceparent`, so a call can be found by either.
 */
export const managementLog = createMiddleware<AppEnv>(async function managementLog(c, next) {
  const startedAt = Date.now()
  await next()
  const route = routePath(c, -1)
  const subject = c.get('principal')?.subject
  const line: ManagementLine = {
    kind: 'management',
    route: route === MOUNT ? null : route,
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    durationMs: Date.now() - startedAt,
    traceId: continueTrace(c.req.header('traceparent') ?? null, null).traceId,
  }
  if (subject !== undefined) line.subject = subject
  logLine(c.get('config').log, line)
})
