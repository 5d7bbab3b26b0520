import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { toProvider } from '../forward/management'
import { methodNotAllowed } from '../http/allow'
import { readJson } from '../http/input'
import { namespaceQuery } from '../http/query'
import { Secret, SecretReference } from '../schemas/openfaas'

/** Secrets are listed by name only; values go to the provider and never come back. */
export const secretsRoutes = new Hono<AppEnv>()
  .get('/system/secrets', (c) =>
    toProvider(c, '/system/secrets', { query: { namespace: namespaceQuery(c) } }),
  )
  .on(['POST', 'PUT'], '/system/secrets', async (c) => {
    const namespace = namespaceQuery(c)
    const { bytes } = await readJson(c, Secret, 'Secret')
    return toProvider(c, '/system/secrets', { body: bytes, query: { namespace } })
  })
  .delete('/system/secrets', async (c) => {
    const namespace = namespaceQuery(c)
    const { bytes } = await readJson(c, SecretReference, 'Secret')
    return toProvider(c, '/system/secrets', { body: bytes, query: { namespace } })
  })
  .all('/system/secrets', methodNotAllowed('GET', 'POST', 'PUT', 'DELETE'))
