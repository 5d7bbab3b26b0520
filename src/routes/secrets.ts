import type { Context } from 'hono'
import { Hono } from 'hono'
import { authorize } from '../access/authorize'
import type { AppEnv } from '../env'
import { toProvider } from '../forward/management'
import { methodNotAllowed } from '../http/allow'
import { badRequest, readJson } from '../http/input'
import { namespaceQuery } from '../http/query'
import type { Action } from '../schemas/access'
import { Secret, SecretReference } from '../schemas/openfaas'

/** Secrets are listed by name only; values go to the provider and never come back. */
export const secretsRoutes = new Hono<AppEnv>()
  .get('/system/secrets', (c) => {
    const namespace = namespaceQuery(c)
    authorize(c, 'Secret:Read', namespace ?? c.get('config').defaultNamespace)
    return toProvider(c, '/system/secrets', { query: { namespace } })
  })
  .on(['POST', 'PUT'], '/system/secrets', async (c) => {
    const namespace = namespaceQuery(c)
    const { value, bytes } = await readJson(c, Secret, 'Secret')
    authorizeSecret(c, 'Secret:Admin', namespace, value.namespace)
    return toProvider(c, '/system/secrets', { body: bytes, query: { namespace } })
  })
  .delete('/system/secrets', async (c) => {
    const namespace = namespaceQuery(c)
    const { value, bytes } = await readJson(c, SecretReference, 'Secret')
    authorizeSecret(c, 'Secret:Admin', namespace, value.namespace)
    return toProvider(c, '/system/secrets', { body: bytes, query: { namespace } })
  })
  .all('/system/secrets', methodNotAllowed('GET', 'POST', 'PUT', 'DELETE'))

/**
 * The namespace a secret change acts on, where the provider may read it from
 * the query or the body: both are checked, and they must agree.
 */
function authorizeSecret(c: Context<AppEnv>, action: Action, query?: string, body?: string): void {
  if (query && body && query !== body)
    throw badRequest(`namespace "${body}" does not match ?namespace=${query}`)
  authorize(c, action, query ?? body ?? c.get('config').defaultNamespace)
}
