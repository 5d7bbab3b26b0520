import type { Context } from 'hono'
import type { AppDeps } from '../deps.ts'
import { notFound } from '../errors.ts'
import { pathName } from '../schemas.ts'
import { parse } from '../validate.ts'

// The namespace a /system request is about: from its body, else `?namespace=`, else the default.
export function namespaceOf(c: Context, deps: AppDeps, fromBody?: string): string {
  const query = c.req.query('namespace')
  if (fromBody !== undefined) return fromBody
  return query ? parse(pathName, query, 'namespace') : deps.defaultNamespace
}

// For listings: an unknown namespace is a 404, except the default one, which is merely empty.
export function existingNamespace(c: Context, deps: AppDeps): string {
  const namespace = namespaceOf(c, deps)
  if (!deps.namespaces.has(namespace) && namespace !== deps.defaultNamespace) {
    throw notFound(`namespace ${namespace} not found`)
  }
  return namespace
}
