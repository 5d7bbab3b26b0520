import type { Bindings } from '../../env'

// Fixed for the life of a deployment: a call id's shard must not move while its records live, so
// changing it strands what the old shards hold (records and dead letters until they expire).
// 32 objects share the load of a busy queue (each handles about a thousand calls a second, and a
// call costs three to four) while listing dead letters or summing counters stays a 32-way fan-out.
export const LEDGER_SHARDS = 32

/** The CallLedger shard that records `callId`. */
export function ledgerFor(env: Bindings, callId: string) {
  return shard(env, fnv1a(callId) % LEDGER_SHARDS)
}

/** Every shard, for what must look at all of them: dead letters, counters. */
export function allLedgers(env: Bindings) {
  return Array.from({ length: LEDGER_SHARDS }, (_, i) => shard(env, i))
}

function shard(env: Bindings, index: number) {
  return env.CALL_LEDGER.get(env.CALL_LEDGER.idFromName(`shard-${index}`))
}

/** A fast, well-spread string hash; not for security, only for spreading call ids. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
