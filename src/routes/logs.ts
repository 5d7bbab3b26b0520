import { Hono } from 'hono'
import { authorize } from '../access/authorize'
import type { AppEnv } from '../env'
import { toProvider } from '../forward/management'
import { methodNotAllowed } from '../http/allow'
import { badRequest } from '../http/input'
import { type Query, queryValue } from '../http/query'
import { plainText } from '../http/responses'
import { describeIssues } from '../schemas/issues'
import { LogQuery } from '../schemas/openfaas'

const LOG_PARAMETERS = Object.keys(LogQuery.shape)

/**
 * Function logs as NDJSON. The provider's stream is passed on as it arrives,
 * so `follow=true` stays open for as long as the caller listens.
 */
export const logsRoutes = new Hono<AppEnv>()
  .get('/system/logs', async (c) => {
    const query: Query = {}
    for (const name of LOG_PARAMETERS) {
      const value = queryValue(c, name)
      if (value !== undefined && value !== '') query[name] = value
    }
    const parsed = LogQuery.safeParse(query, { reportInput: true })
    if (!parsed.success) throw badRequest(`invalid logs query: ${describeIssues(parsed.error)}`)
    authorize(c, 'Function:Logs', parsed.data.namespace ?? c.get('config').defaultNamespace, parsed.data.name)
    const response = await toProvider(c, '/system/logs', { query })
    // OpenFaaS clients read 501 as "no logs here"; the provider's own words say why (no logs endpoint, or no such function).
    if (response.status === 404 || response.status === 501) {
      const reason = (await response.text()).trim().split('\n', 1)[0]
      return plainText(
        501,
        `logs are not available from the functions provider (${response.status})${reason ? `: ${reason}` : ''}`,
      )
    }
    return response
  })
  .all('/system/logs', methodNotAllowed('GET'))
