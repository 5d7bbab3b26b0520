import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from '../env'
import { plainText } from '../http/responses'
import { type Action, allows } from './policy'
import { logDenial } from './principal'

/**
 * Whether the caller may do `action` in `namespace` (on function or secret
 * `name`, when the action is about one). With neither basic nor JWT auth on,
 * everyone may.
 */
export function permitted(c: Context<AppEnv>, action: Action, namespace: string, name?: string): boolean {
  const config = c.get('config')
  if (!config.credentials && !config.jwt) return true
  const principal = c.get('principal')
  if (!principal) return false
  return principal.admin || allows(principal.grants, action, namespace, name)
}

/** Whether the caller holds any grant in `namespace`: what puts a namespace in its list. */
export function permittedIn(c: Context<AppEnv>, namespace: string): boolean {
  const config = c.get('config')
  if (!config.credentials && !config.jwt) return true
  const principal = c.get('principal')
  return (
    !!principal &&
    (principal.admin || principal.grants.some((g) => g.namespace === '*' || g.namespace === namespace))
  )
}

/** Goes on only if `permitted`; otherwise a 403 naming the action and resource, and a log line. */
export function authorize(c: Context<AppEnv>, action: Action, namespace: string, name?: string): void {
  if (permitted(c, action, namespace, name)) return
  const subject = c.get('principal')?.subject ?? 'anonymous'
  const resource = `${namespace}:${name ?? '*'}`
  logDenial(subject, action, resource, 'no role allows it')
  throw new HTTPException(403, { res: plainText(403, `${subject} may not ${action} on ${resource}`) })
}
