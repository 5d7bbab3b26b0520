import { Hono } from 'hono'
import type { AppDeps } from '../deps.ts'
import { badRequest } from '../errors.ts'
import { DeleteSecretRequest, SecretRequest } from '../schemas.ts'
import { readJson } from '../validate.ts'
import { existingNamespace, namespaceOf } from './namespace-param.ts'
import { resource } from './resource.ts'

export function secretRoutes(deps: AppDeps) {
  const app = new Hono()

  function writableNamespace(namespace: string) {
    if (!deps.namespaces.has(namespace)) throw badRequest(`namespace ${namespace} not found`)
    return namespace
  }

  resource(app, '/system/secrets', {
    // Names only: values never leave the provider.
    GET: (c) => c.json(deps.secrets.list(existingNamespace(c, deps))),
    POST: async (c) => {
      const { name, namespace, data } = await readJson(c, SecretRequest, 'secret')
      const ns = writableNamespace(namespaceOf(c, deps, namespace))
      deps.secrets.create(ns, name, data)
      await deps.persistSecrets()
      return c.body(null, 201)
    },
    PUT: async (c) => {
      const { name, namespace, data } = await readJson(c, SecretRequest, 'secret')
      const ns = writableNamespace(namespaceOf(c, deps, namespace))
      deps.secrets.update(ns, name, data)
      deps.functions.refreshSecrets(ns, name)
      await deps.persistSecrets()
      return c.body(null, 200)
    },
    // A secret still declared by functions may be deleted, as in Kubernetes: their file disappears.
    DELETE: async (c) => {
      const { name, namespace } = await readJson(c, DeleteSecretRequest, 'delete request')
      const ns = writableNamespace(namespaceOf(c, deps, namespace))
      deps.secrets.remove(ns, name)
      deps.functions.refreshSecrets(ns, name)
      await deps.persistSecrets()
      return c.body(null, 200)
    },
  })

  return app
}
