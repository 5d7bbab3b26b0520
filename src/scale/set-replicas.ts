import type { Config } from '../config'
import type { Bindings } from '../env'
import { type ProviderFault, scaleFunction } from '../forward/provider-api'
import { type FunctionRef, functionKey } from '../function-ref'
import type { DrainAnswer, DrainBy } from './drain'
import { changed } from './from-zero'
import { stateOf } from './objects'
import { replicaCache } from './replica-cache'

export type SetReplicas =
  | { kind: 'scaled' }
  | Exclude<DrainAnswer, { kind: 'fault' }>
  | { kind: 'refused'; fault: ProviderFault }

/**
 * The one way the gateway changes a function's replicas on its own account
 * (autoscaler, idler, alerts) or for the scale API. To zero, with scale from
 * zero on, the function is drained through its FunctionState, so no call in
 * flight is cut off and no isolate forwards to a function that has gone;
 * `started` is the idler's count of its invocations when it decided. Any
 * other count goes to the provider at once and every isolate learns it.
 */
export async function setReplicas(
  env: Bindings,
  config: Config,
  fn: FunctionRef,
  replicas: number,
  by: DrainBy,
  started?: number,
): Promise<SetReplicas> {
  if (replicas === 0 && config.scaleFromZero) {
    // This isolate knows now; the others learn it from the drain within their trust.
    replicaCache.forget(functionKey(fn))
    const answer = await stateOf(env, functionKey(fn)).drain(fn, config, by, started)
    return answer.kind === 'fault' ? { kind: 'refused', fault: answer } : answer
  }
  const refused = await scaleFunction(config, fn, replicas)
  if (refused) return { kind: 'refused', fault: refused }
  await changed(env, fn, { kind: 'scaled', replicas })
  return { kind: 'scaled' }
}
