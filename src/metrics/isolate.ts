import type { Bindings } from '../env'
import { MetricsBuffer } from './buffer'

/**
 * How many shards add up the counts. Each isolate flushes to one shard at most
 * once a second, so at 4,000 isolates each shard takes about 250 writes a
 * second, a quarter of what one Durable Object handles; /metrics reads all 16.
 */
export const METRICS_SHARDS = 16

export function shardOf(env: Bindings, index: number) {
  return env.METRICS_SHARD.get(env.METRICS_SHARD.idFromName(`shard-${index}`))
}

function shardIndex(isolate: string): number {
  let hash = 0
  for (let i = 0; i < isolate.length; i++) hash = (hash * 31 + isolate.charCodeAt(i)) | 0
  return Math.abs(hash) % METRICS_SHARDS
}

// Bindings are the same for every request an isolate serves; the latest one is used for flushing.
let bindings: Bindings | undefined

const buffer = new MetricsBuffer(async (flush) => {
  if (!bindings) throw new Error('no bindings to flush metrics with')
  await shardOf(bindings, shardIndex(flush.isolate)).apply(flush)
})

/** This isolate's counts, flushed to its shard through `env`. */
export function isolateMetrics(env: Bindings): MetricsBuffer {
  bindings = env
  return buffer
}
