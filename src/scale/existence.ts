import type { Config } from '../config'
import type { Bindings } from '../env'
import type { ProviderFault } from '../forward/provider-api'
import { type FunctionRef, functionKey } from '../function-ref'
import { stateOf } from './objects'
import type { Lookup } from './readiness'
import { replicaCache } from './replica-cache'

export type Existence = { kind: 'found' } | { kind: 'missing' } | ({ kind: 'fault' } & ProviderFault)

/**
 * Whether `fn` exists, waking nothing. A function this isolate has seen
 * ready costs no Durable Object call (as for a warm sync invocation); a
 * recent "missing" is answered here too. Anything else asks the function's
 * object, which caches the provider's answer.
 */
export async function existence(env: Bindings, config: Config, fn: FunctionRef): Promise<Existence> {
  const key = functionKey(fn)
  const entry = replicaCache.get(key)
  if (entry?.ready) return FOUND
  if (entry && Date.now() - entry.at <= config.replicaCacheTtlMs) return { kind: 'missing' }
  const found = await lookup(env, config, fn)
  return found.kind === 'found' ? FOUND : found
}

const FOUND: Existence = { kind: 'found' }

/** The function's object's answer, remembered in this isolate where it settles readiness too. */
export async function lookup(env: Bindings, config: Config, fn: FunctionRef): Promise<Lookup> {
  const key = functionKey(fn)
  const found = await stateOf(env, key).lookup(fn, config)
  if (found.kind === 'missing') replicaCache.set(key, false)
  else if (found.kind === 'found' && found.available > 0 && !found.draining) replicaCache.set(key, true)
  return found
}
