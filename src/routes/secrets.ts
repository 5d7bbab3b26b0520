import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { toProvider } from '../forward/management'
import { methodNotAllowed } from '../http/allow'
import { readJson } from '../http/input'
import { namespaceQuery } from '../http/query'
import { Secret, SecretReference } from '../schemas/openfaas'

/** Secrets are listed by name only; values go to the provider and never come back. */
export const secretsRoutes = new Hono<AppEnv>()
  .get('/system/secrets', (c) => {
    namespaceQuery(c)
    return toProvider(c, '/system/secrets')
  })
  .on(['POST', 'PUT'], '/system/secrets', async (c) => {
    namespaceQuery(c)
    const { text } = await readJson(c, Secret, 'Secret')
    return toProvider(c, '/system/secrets', text)
  })
  .delete('/system/secrets', async (c) => {
    namespaceQuery(c)
    const { text } = await readJson(c, SecretReference, 'Secret')
    return toProvider(c, '/system/secrets', text)
  })
  .all('/system/secrets', methodNotAllowed('GET', 'POST', 'PUT', 'DELETE'))
