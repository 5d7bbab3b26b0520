import type { Config } from '../config'
import type { Bindings } from '../env'
import { type FunctionRef, functionKey } from '../function-ref'
import { plainText } from '../http/responses'
import { stateOf } from '../scale/objects'
import { trustedReadyMs } from '../scale/replica-cache'
import { allows } from './policy'
import { authenticate, logDenial, refusal } from './principal'

/** The label that puts a function's invocations behind JWT auth. */
export const INVOKE_AUTH_LABEL = 'com.edgefaas.invoke-auth'

// Which functions this isolate has seen labelled, and when it asked: trusted as long as a "ready" is.
// Functions found missing are not kept, so made-up names cannot grow it.
const labelled = new Map<string, { required: boolean; at: number }>()
const MAX_ENTRIES = 10_000

/**
 * With JWT auth on, an invocation of a function that requires it (the
 * `com.edgefaas.invoke-auth=required` label, or AUTH_INVOCATIONS=required)
 * needs Function:Invoke on that function; basic credentials count as
 * System:Admin. Answers the refusal, or undefined to go on. The function gets
 * `X-Auth-Subject` instead of the token, and never a caller's own
 * `X-Auth-Subject`. Asked before the function is woken: a call without a
 * token never wakes a protected function.
 */
export async function invocationAccess(
  env: Bindings,
  config: Config,
  jwt: NonNullable<Config['jwt']>,
  request: Request,
  fn: FunctionRef,
  headers: Headers,
): Promise<Response | undefined> {
  headers.delete('x-auth-subject')
  const required = jwt.invocations === 'required' || (await labelledRequired(env, config, fn))
  if (typeof required === 'object') return plainText(required.status, required.message)
  if (!required) return undefined
  const resource = `${fn.namespace}:${fn.name}`
  const principal = await authenticate(request, config)
  if ('reason' in principal) {
    logDenial('anonymous', 'Function:Invoke', resource, principal.reason)
    return refusal(config, principal)
  }
  if (!principal.admin && !allows(principal.grants, 'Function:Invoke', fn.namespace, fn.name)) {
    logDenial(principal.subject, 'Function:Invoke', resource, 'no role allows it')
    return plainText(403, `${principal.subject} may not Function:Invoke on ${resource}`)
  }
  headers.delete('authorization')
  headers.delete('cf-access-jwt-assertion')
  headers.set('x-auth-subject', principal.subject)
  return undefined
}

async function labelledRequired(
  env: Bindings,
  config: Config,
  fn: FunctionRef,
): Promise<boolean | { status: number; message: string }> {
  const key = functionKey(fn)
  const known = labelled.get(key)
  if (known && Date.now() - known.at < trustedReadyMs(config.replicaCacheTtlMs)) return known.required
  const at = Date.now()
  // The function's object answers from what it saw lately, without waking the function.
  const found = await stateOf(env, key).lookup(fn, config)
  if (found.kind === 'fault') return { status: found.status, message: found.message }
  if (found.kind === 'missing') return false
  const required = found.labels[INVOKE_AUTH_LABEL] === 'required'
  if (labelled.size >= MAX_ENTRIES && !labelled.has(key))
    labelled.delete(labelled.keys().next().value as string)
  labelled.set(key, { required, at })
  return required
}
