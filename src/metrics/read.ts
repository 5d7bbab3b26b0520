import type { Bindings } from '../env'
import { addCounts, type Counts } from './batch'
import { METRICS_SHARDS, shardOf } from './isolate'

/**
 * The counts of every shard added up: what every isolate has flushed so far,
 * with the calls in flight that isolates reported within `inflightFreshMs`
 * (by default the shards' own window).
 */
export async function readCounts(
  env: Bindings,
  inflightFreshMs?: number,
): Promise<{ counts: Counts; inflight: Record<string, number> }> {
  const snapshots = await Promise.all(
    Array.from({ length: METRICS_SHARDS }, (_, i) => shardOf(env, i).snapshot(inflightFreshMs)),
  )
  const counts: Counts = {}
  const inflight: Record<string, number> = {}
  for (const snapshot of snapshots) {
    addCounts(counts, snapshot.counts)
    for (const [fn, n] of Object.entries(snapshot.inflight)) inflight[fn] = (inflight[fn] ?? 0) + n
  }
  return { counts, inflight }
}

/** A function's invocations (every status code), as OpenFaaS reports in `invocationCount`. */
export function invocationCount(counts: Counts, fn: string): number {
  let total = 0
  for (const code of Object.values(counts[fn]?.codes ?? {})) total += code.count
  return total
}
