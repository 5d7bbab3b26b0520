import { type Context, Hono } from 'hono'
import type { AppDeps } from '../deps.ts'
import { badRequest, conflict } from '../errors.ts'
import { dnsLabel, NamespaceRequest, pathName } from '../schemas.ts'
import { parse, readJson } from '../validate.ts'
import { resource } from './resource.ts'

export function namespaceRoutes(deps: AppDeps) {
  const app = new Hono()

  resource(app, '/system/namespaces', { GET: (c) => c.json(deps.namespaces.list()) })

  // The body may repeat the name; it may not contradict the path.
  async function readMeta(c: Context, name: string) {
    const { name: named, ...meta } = await readJson(c, NamespaceRequest, 'namespace')
    if (named && named !== name) {
      throw badRequest(`invalid namespace: name ${named} does not match the path's ${name}`)
    }
    return meta
  }

  resource(app, '/system/namespace/:ns', {
    GET: (c) => {
      const name = parse(pathName, c.req.param('ns'), 'namespace name')
      return c.json({ name, ...deps.namespaces.get(name) })
    },
    POST: async (c) => {
      const name = parse(dnsLabel, c.req.param('ns'), 'namespace name')
      deps.namespaces.create(name, await readMeta(c, name))
      await deps.persistState()
      return c.json({ name, ...deps.namespaces.get(name) }, 201)
    },
    PUT: async (c) => {
      const name = parse(pathName, c.req.param('ns'), 'namespace name')
      const meta = await readMeta(c, name)
      deps.namespaces.update(name, meta)
      await deps.persistState()
      return c.json({ name, ...meta }, 200)
    },
    DELETE: async (c) => {
      const name = parse(pathName, c.req.param('ns'), 'namespace name')
      deps.namespaces.get(name)
      if (name === deps.defaultNamespace) throw badRequest(`the default namespace ${name} cannot be deleted`)
      const functions = deps.functions.count(name)
      if (functions > 0) {
        throw conflict(
          `namespace ${name} still has ${functions} function${functions > 1 ? 's' : ''}: delete them first`,
        )
      }
      deps.namespaces.remove(name)
      // Like a Kubernetes namespace, its secrets go with it.
      deps.secrets.removeNamespace(name)
      await Promise.all([deps.persistState(), deps.persistSecrets()])
      return c.body(null, 200)
    },
  })

  return app
}
