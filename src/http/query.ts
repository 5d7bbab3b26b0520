import type { Context } from 'hono'
import { dnsLabel } from '../schemas/openfaas'
import { validName } from './input'

/** `?namespace=` as OpenFaaS clients send it on /system routes; undefined when absent or empty. */
export function namespaceQuery(c: Context): string | undefined {
  const value = c.req.query('namespace')
  return value ? validName(dnsLabel, value, 'namespace') : undefined
}
