import type { Config } from '../config'
import type { Bindings } from '../env'
import { listFunctions, listNamespaces } from '../forward/provider-api'
import { functionKey, parseFunctionKey } from '../function-ref'
import { stateOf } from './objects'

/** One function's replicas as the provider last reported them, for the gauges and the scalers. */
export type Replicas = { replicas: number; available: number; labels: Record<string, string> }

/**
 * `stale`: functions kept from before because their namespace could not be listed.
 * `annotations`: each listed function's, for the schedules (not kept: only the scheduler needs them).
 */
export type SyncResult = {
  functions: Record<string, Replicas>
  faults: string[]
  stale: string[]
  annotations: Record<string, Record<string, string>>
}

/**
 * Lists every namespace's functions on the provider, tells each function's
 * Durable Object what was seen, and forgets functions that are gone. A
 * namespace the provider could not list keeps what was known of it: a fault
 * is not a deletion.
 */
export async function syncReplicas(
  env: Bindings,
  config: Config,
  previous: Record<string, Replicas>,
): Promise<SyncResult> {
  const namespaces = await listNamespaces(config)
  if ('fault' in namespaces)
    return { functions: previous, faults: [namespaces.fault], stale: Object.keys(previous), annotations: {} }
  const functions: Record<string, Replicas> = {}
  const faults: string[] = []
  const stale: string[] = []
  const annotations: Record<string, Record<string, string>> = {}
  const listed = new Set<string>()
  const updates: Promise<void>[] = []
  for (const namespace of namespaces) {
    const list = await listFunctions(config, namespace)
    if ('fault' in list) {
      faults.push(list.fault)
      for (const [key, replicas] of Object.entries(previous)) {
        if (key.endsWith(`.${namespace}`)) {
          functions[key] = replicas
          stale.push(key)
        }
      }
      continue
    }
    listed.add(namespace)
    for (const status of list) {
      const key = functionKey({ name: status.name, namespace: status.namespace ?? namespace })
      const replicas = {
        replicas: status.replicas ?? 0,
        available: status.availableReplicas ?? 0,
        labels: status.labels ?? {},
      }
      functions[key] = replicas
      if (status.annotations) annotations[key] = status.annotations
      updates.push(stateOf(env, key).observed(replicas))
    }
  }
  for (const key of Object.keys(previous)) {
    const { namespace } = parseFunctionKey(key)
    const gone = listed.has(namespace) || !namespaces.includes(namespace)
    if (gone && !(key in functions)) updates.push(stateOf(env, key).changed({ kind: 'deleted' }))
  }
  await Promise.all(updates)
  return { functions, faults, stale, annotations }
}
