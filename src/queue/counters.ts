import type { Bindings } from '../env'
import type { Counters } from './ledger/counters'
import { allLedgers } from './ledger/shards'

export type { Counters as AsyncCounters } from './ledger/counters'

/**
 * The asynchronous-call counters of every function (`name.namespace`),
 * summed over the ledger's shards: calls enqueued, completed (a final
 * answer, whatever its status), retried (runs scheduled again after a
 * retryable failure), dead-lettered, and failed callback deliveries. They
 * count from the deployment's first call and never reset.
 */
export async function asyncCounters(env: Bindings): Promise<Record<string, Counters>> {
  const shards = await Promise.all(allLedgers(env).map((ledger) => ledger.counters()))
  const total: Record<string, Counters> = {}
  for (const counters of shards) {
    for (const [fn, c] of Object.entries(counters)) {
      const sum = total[fn] ?? { enqueued: 0, completed: 0, retried: 0, deadLettered: 0, callbackFailures: 0 }
      total[fn] = sum
      sum.enqueued += c.enqueued
      sum.completed += c.completed
      sum.retried += c.retried
      sum.deadLettered += c.deadLettered
      sum.callbackFailures += c.callbackFailures
    }
  }
  return total
}
