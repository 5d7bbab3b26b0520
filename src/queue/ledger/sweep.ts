import type { Orphans } from './calls'
import type { CallRow, DeadLetterRow } from './rows'

// While a shard holds rows it sweeps the expired ones this often (sooner when one expires sooner),
// so a row outlives its expiry by at most this long.
export const SWEEP_MS = 3_600_000

/**
 * Deletes the rows expired by `now`. Returns the R2 bodies they still owned,
 * and when the next sweep is due (undefined when the shard holds nothing).
 */
export function sweep(sql: SqlStorage, now: number): { orphans: Orphans; next: number | undefined } {
  const calls = sql
    .exec<Pick<CallRow, 'body_key' | 'request_key'>>(
      'SELECT body_key, request_key FROM calls WHERE expires_at <= ?',
      now,
    )
    .toArray()
  const letters = sql
    .exec<Pick<DeadLetterRow, 'body_key' | 'replayed_at'>>(
      'SELECT body_key, replayed_at FROM dead_letters WHERE expires_at <= ?',
      now,
    )
    .toArray()
  sql.exec('DELETE FROM calls WHERE expires_at <= ?', now)
  sql.exec('DELETE FROM dead_letters WHERE expires_at <= ?', now)
  const orphans = [
    ...calls.flatMap((row) => [row.body_key, row.request_key]),
    // A replayed dead letter's body belongs to the replayed call, which deletes it when done.
    ...letters.filter((row) => row.replayed_at === null).map((row) => row.body_key),
  ]
  const soonest = sql
    .exec<{ at: number | null }>(
      'SELECT MIN(at) AS at FROM (SELECT MIN(expires_at) AS at FROM calls UNION ALL SELECT MIN(expires_at) FROM dead_letters)',
    )
    .one().at
  const next = soonest === null ? undefined : Math.min(Math.max(soonest, now + 1000), now + SWEEP_MS)
  return { orphans, next }
}
