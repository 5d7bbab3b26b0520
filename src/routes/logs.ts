import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { toProvider } from '../forward/management'
import { methodNotAllowed } from '../http/allow'
import { badRequest } from '../http/json-body'
import { plainText } from '../http/responses'
import { describeIssues } from '../schemas/issues'
import { LogQuery } from '../schemas/openfaas'

/**
 * Function logs as NDJSON. The provider's stream is passed on as it arrives,
 * so `follow=true` stays open for as long as the caller listens.
 */
export const logsRoutes = new Hono<AppEnv>()
  .get('/system/logs', async (c) => {
    const query = Object.fromEntries(Object.entries(c.req.query()).filter(([, v]) => v !== ''))
    const parsed = LogQuery.safeParse(query, { reportInput: true })
    if (!parsed.success) throw badRequest(`invalid logs query: ${describeIssues(parsed.error)}`)
    const response = await toProvider(c, '/system/logs')
    if (response.status === 404 || response.status === 501) {
      await response.body?.cancel()
      return plainText(501, 'the functions provider does not serve logs')
    }
    return response
  })
  .all('/system/logs', methodNotAllowed('GET'))
