import type { Config } from '../config'
import type { Change, Readiness } from '../durable/function-state'
import type { Bindings } from '../env'
import type { FunctionRef } from '../forward/provider-api'
import { replicaCache, staleReadyMs } from './replica-cache'

/** Where background refreshes run: the request's ExecutionContext. */
export type Background = { waitUntil(promise: Promise<unknown>): void }

/** The function a call targets, its namespace resolved the way the provider resolves an omitted one. */
export function functionRef(config: Config, target: { name: string; namespace?: string }): FunctionRef {
  return { name: target.name, namespace: target.namespace ?? config.defaultNamespace }
}

export const cacheKey = (fn: FunctionRef): string => `${fn.name}.${fn.namespace}`

export function stateOf(env: Bindings, key: string) {
  return env.FUNCTION_STATE.get(env.FUNCTION_STATE.idFromName(key))
}

// Questions to a function's object in flight from this isolate: a burst asks once, not once per call.
const asking = new Map<string, Promise<Readiness>>()

async function askObject(env: Bindings, config: Config, key: string, fn: FunctionRef): Promise<Readiness> {
  try {
    const readiness = await stateOf(env, key).ready(fn, config)
    if (readiness.kind === 'ready') replicaCache.set(key, true)
    else if (readiness.kind === 'missing') replicaCache.set(key, false)
    return readiness
  } finally {
    asking.delete(key)
  }
}

function ask(env: Bindings, config: Config, key: string, fn: FunctionRef): Promise<Readiness> {
  const pending = asking.get(key)
  // Whoever joins a question already asked did not start a wake, whatever the answer says.
  if (pending)
    return pending.then((r) => (r.kind === 'ready' && r.coldStart ? { ...r, coldStart: false } : r))
  const question = askObject(env, config, key, fn)
  asking.set(key, question)
  return question
}

/**
 * Whether an invocation of `fn` may be forwarded. `undefined` means at once:
 * the function is known to be ready in this isolate (or scale from zero is
 * off), which costs no Durable Object call and no await. Past the freshness
 * window a ready entry is still used and refreshed in the background, for up
 * to staleReadyMs. Anything else waits on the function's Durable Object,
 * which wakes it from zero.
 */
export function readiness(
  env: Bindings,
  config: Config,
  background: Background,
  fn: FunctionRef,
): Promise<Readiness> | undefined {
  if (!config.scaleFromZero) return undefined
  const key = cacheKey(fn)
  const entry = replicaCache.get(key)
  const age = entry ? Date.now() - entry.at : 0
  // A function nobody here has called for longer than staleReadyMs may have been idled to 0 since (the
  // idler tells only its own isolate): asking first lets the call wake it rather than meet no replica (503).
  if (entry?.ready && age <= staleReadyMs(config.replicaCacheTtlMs)) {
    if (age > config.replicaCacheTtlMs) {
      // Renewed now so that one refresh, not one per request, is in flight.
      replicaCache.set(key, true)
      background.waitUntil(ask(env, config, key, fn).catch(() => replicaCache.forget(key)))
    }
    return undefined
  }
  // Known missing, and recently: answered here, so requests for a deleted function do not all reach its object.
  if (entry && !entry.ready && age <= config.replicaCacheTtlMs) return MISSING
  return ask(env, config, key, fn)
}

const MISSING: Promise<Readiness> = Promise.resolve({ kind: 'missing' })

/** Tells the function's Durable Object and this isolate about a change made through the API. */
export async function changed(env: Bindings, fn: FunctionRef, change: Change): Promise<void> {
  const key = cacheKey(fn)
  replicaCache.forget(key)
  await stateOf(env, key).changed(change)
}
