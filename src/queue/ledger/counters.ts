import type { AsyncCounters } from '../../metrics/exposition'

// Per-function counters of asynchronous calls, kept in each ledger shard with no expiry: monotonic from the
// deployment's first call, so they map to Prometheus counters directly.

export type Counters = AsyncCounters

export type Counter = 'enqueued' | 'completed' | 'retried' | 'dead_lettered' | 'callback_failures'

export function count(sql: SqlStorage, fn: string, counter: Counter): void {
  sql.exec(
    `INSERT INTO counters (fn, ${counter}) VALUES (?, 1)
     ON CONFLICT (fn) DO UPDATE SET ${counter} = ${counter} + 1`,
    fn,
  )
}

export function readCounters(sql: SqlStorage): Record<string, Counters> {
  const rows = sql.exec<{ fn: string } & Record<Counter, number>>('SELECT * FROM counters').toArray()
  return Object.fromEntries(
    rows.map((row) => [
      row.fn,
      {
        enqueued: row.enqueued,
        completed: row.completed,
        retried: row.retried,
        deadLettered: row.dead_lettered,
        callbackFailures: row.callback_failures,
      },
    ]),
  )
}
