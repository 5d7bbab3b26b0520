import { Hono } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../env'
import { toProvider } from '../forward/management'
import { methodNotAllowed } from '../http/allow'
import { badRequest } from '../http/json-body'
import { plainText } from '../http/responses'
import { issueText } from '../schemas/issues'
import { namespaceName, resourceName } from '../schemas/openfaas'

const logsQuery = z.object({
  name: resourceName,
  namespace: namespaceName.optional(),
  instance: z.string().optional(),
  tail: z
    .string()
    .regex(/^-?\d+$/, 'must be a whole number')
    .optional(),
  follow: z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' }).optional(),
  since: z.iso.datetime({ offset: true, error: 'must be an RFC3339 time' }).optional(),
})

/**
 * Function logs as NDJSON. The provider's stream is passed on as it arrives,
 * so `follow=true` stays open for as long as the caller listens.
 */
export const logsRoutes = new Hono<AppEnv>()
  .get('/system/logs', async (c) => {
    const query = Object.fromEntries(Object.entries(c.req.query()).filter(([, v]) => v !== ''))
    const parsed = logsQuery.safeParse(query, { reportInput: true })
    if (!parsed.success)
      throw badRequest(`invalid logs query: ${parsed.error.issues.map((i) => issueText(i)).join('; ')}`)
    const response = await toProvider(c, '/system/logs')
    if (response.status === 404 || response.status === 501) {
      await response.body?.cancel()
      return plainText(501, 'the functions provider does not serve logs')
    }
    return response
  })
  .all('/system/logs', methodNotAllowed('GET'))
