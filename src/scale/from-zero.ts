import type { Config } from '../config'
import type { Bindings } from '../env'
import { type FunctionRef, functionKey } from '../function-ref'
import { stateOf } from './objects'
import type { Change, Missed, Readiness } from './readiness'
import { replicaCache, trustedReadyMs } from './replica-cache'

/** Where background refreshes run: the request's ExecutionContext. */
export type Background = { waitUntil(promise: Promise<unknown>): void }

// Questions to a function's object in flight from this isolate: a burst asks once, not once per call.
const asking = new Map<string, Promise<Readiness>>()

async function askObject(env: Bindings, config: Config, key: string, fn: FunctionRef): Promise<Readiness> {
  const askedAt = Date.now()
  try {
    const readiness = await stateOf(env, key).ready(fn, config)
    // A draining function serves this call on the replica still up, but no later one without asking.
    if (readiness.kind === 'ready') {
      if (readiness.draining) replicaCache.forget(key)
      else replicaCache.set(key, true, askedAt)
    } else if (readiness.kind === 'missing') replicaCache.set(key, false, askedAt)
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
 * off), which costs no Durable Object call and no await. Past
 * REPLICA_CACHE_TTL a ready entry is still used while it is refreshed in the
 * background, up to trustedReadyMs after it was learnt. Anything else waits
 * on the function's Durable Object, which wakes it from zero, or lets the
 * call through a drain to zero.
 */
export function readiness(
  env: Bindings,
  config: Config,
  background: Background,
  fn: FunctionRef,
): Promise<Readiness> | undefined {
  if (!config.scaleFromZero) return undefined
  const key = functionKey(fn)
  const entry = replicaCache.get(key)
  const age = entry ? Date.now() - entry.at : 0
  if (entry?.ready && age <= config.replicaCacheTtlMs) return undefined
  // The refresh does not extend the entry: only a "ready" it brings back does, so a function draining to
  // zero is trusted by no isolate past trustedReadyMs after the drain began, whatever the refresh meets.
  if (entry?.ready && age <= trustedReadyMs(config.replicaCacheTtlMs)) {
    if (!asking.has(key))
      background.waitUntil(ask(env, config, key, fn).catch(() => replicaCache.forget(key)))
    return undefined
  }
  // Known missing, and recently: answered here, so requests for a deleted function do not all reach its object.
  if (entry && !entry.ready && age <= config.replicaCacheTtlMs) return MISSING
  return ask(env, config, key, fn)
}

const MISSING: Promise<Readiness> = Promise.resolve({ kind: 'missing' })

/**
 * A call sent at `sentAt` met a 503 from the provider. This isolate stops
 * trusting the function at once, and its object says whether the 503 meant
 * "no replica" (then it has woken the function and the call may be sent
 * again) or was the function's own answer (`serving`). Undefined when the
 * object cannot be asked: the caller gets the 503 it had.
 */
export async function noReplica(
  env: Bindings,
  config: Config,
  fn: FunctionRef,
  sentAt: number,
): Promise<Missed | undefined> {
  const key = functionKey(fn)
  replicaCache.forget(key)
  const askedAt = Date.now()
  try {
    const missed = await stateOf(env, key).noReplica(fn, config, sentAt)
    if (missed.kind === 'ready' && !missed.draining) replicaCache.set(key, true, askedAt)
    return missed
  } catch (error) {
    console.warn(`${key}: a call met no replica, and its state object cannot be asked:`, String(error))
    return undefined
  }
}

/** Tells the function's Durable Object and this isolate about a change made through the API. */
export async function changed(env: Bindings, fn: FunctionRef, change: Change): Promise<void> {
  const key = functionKey(fn)
  replicaCache.forget(key)
  await stateOf(env, key).changed(change)
}
