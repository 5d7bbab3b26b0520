import type { Context } from 'hono'
import { dnsLabel } from '../schemas/openfaas'
import { badRequest, validName } from './input'

export type Query = Record<string, string | undefined>

/**
 * The one value of a query parameter. A repeated parameter is refused: the
 * gateway would validate one copy and the provider might read the other.
 */
export function queryValue(c: Context, name: string): string | undefined {
  const values = c.req.queries(name)
  if (values === undefined || values.length === 0) return undefined
  if (values.length > 1)
    throw badRequest(`query parameter ${name} is given ${values.length} times; give it once`)
  return values[0]
}

/** `?namespace=` as OpenFaaS clients send it on /system routes; undefined when absent or empty. */
export function namespaceQuery(c: Context): string | undefined {
  const value = queryValue(c, 'namespace')
  return value ? validName(dnsLabel, value, 'namespace') : undefined
}

/** A query string built from validated values only; unset ones are left out. */
export function searchOf(query: Query): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, value)
  const search = params.toString()
  return search ? `?${search}` : ''
}
