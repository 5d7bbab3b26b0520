import type { Bindings } from '../env'

// The Durable Objects that hold scaling's state, as the rest of the gateway reaches them.

/** The FunctionState of the function keyed `key` (`name.namespace`). */
export function stateOf(env: Bindings, key: string) {
  return env.FUNCTION_STATE.get(env.FUNCTION_STATE.idFromName(key))
}

/** The deployment's one ReplicaSync: replica sync, autoscaler and idler. */
export function replicaSync(env: Bindings) {
  return env.REPLICA_SYNC.get(env.REPLICA_SYNC.idFromName('deployment'))
}
