import { addCounts, type CodeCounts, type Counts, type FunctionCounts, functionCounts } from './batch'
import type { Flush } from './buffer'

// One metrics shard's sums over its SQLite: the totals of every flush applied once, by isolate sequence
// number, and each isolate's last in-flight report. src/durable/metrics-shard.ts is the object around it.

/** What one shard has added up, and the invocations in flight that its isolates reported lately. */
export type ShardSnapshot = { counts: Counts; inflight: Record<string, number> }

export const SHARD_SCHEMA = `
CREATE TABLE IF NOT EXISTS functions (
  fn TEXT PRIMARY KEY, started INTEGER NOT NULL, waits INTEGER NOT NULL, wait_seconds REAL NOT NULL,
  cold_starts INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS codes (
  fn TEXT NOT NULL, code TEXT NOT NULL, count INTEGER NOT NULL, sum_seconds REAL NOT NULL, buckets TEXT NOT NULL,
  PRIMARY KEY (fn, code));
CREATE TABLE IF NOT EXISTS isolates (
  id TEXT PRIMARY KEY, seq INTEGER NOT NULL, seen_at INTEGER NOT NULL, inflight TEXT NOT NULL);
`

type FunctionRow = { fn: string; started: number; waits: number; wait_seconds: number; cold_starts: number }
type CodeRow = { fn: string; code: string; count: number; sum_seconds: number; buckets: string }

/** The totals as stored, read once when the shard starts and kept in step with storage after. */
export function loadTotals(sql: SqlStorage): Counts {
  const totals: Counts = {}
  for (const row of sql.exec<FunctionRow>('SELECT * FROM functions')) {
    totals[row.fn] = {
      started: row.started,
      waits: row.waits,
      waitSeconds: row.wait_seconds,
      coldStarts: row.cold_starts,
      codes: {},
    }
  }
  for (const row of sql.exec<CodeRow>('SELECT * FROM codes')) {
    functionCounts(totals, row.fn).codes[row.code] = {
      count: row.count,
      sumSeconds: row.sum_seconds,
      buckets: JSON.parse(row.buckets),
    }
  }
  return totals
}

/**
 * Adds a flush to `totals` and storage unless its isolate's sequence number
 * was applied already; true when applied now. `transaction` is the storage's
 * transactionSync, so a flush is stored whole or not at all.
 */
export function applyFlush(
  sql: SqlStorage,
  transaction: (write: () => void) => void,
  totals: Counts,
  flush: Flush,
  now: number,
): boolean {
  const last = sql.exec<{ seq: number }>('SELECT seq FROM isolates WHERE id = ?', flush.isolate).toArray()[0]
  if (last && last.seq >= flush.seq) return false
  addCounts(totals, flush.counts)
  transaction(() => {
    for (const fn of Object.keys(flush.counts)) {
      const total = totals[fn] as FunctionCounts
      sql.exec(
        'INSERT OR REPLACE INTO functions (fn, started, waits, wait_seconds, cold_starts) VALUES (?, ?, ?, ?, ?)',
        fn,
        total.started,
        total.waits,
        total.waitSeconds,
        total.coldStarts,
      )
      for (const code of Object.keys(flush.counts[fn]?.codes ?? {})) {
        const c = total.codes[code] as CodeCounts
        sql.exec(
          'INSERT OR REPLACE INTO codes (fn, code, count, sum_seconds, buckets) VALUES (?, ?, ?, ?, ?)',
          fn,
          code,
          c.count,
          c.sumSeconds,
          JSON.stringify(c.buckets),
        )
      }
    }
    sql.exec(
      'INSERT OR REPLACE INTO isolates (id, seq, seen_at, inflight) VALUES (?, ?, ?, ?)',
      flush.isolate,
      flush.seq,
      now,
      JSON.stringify(flush.inflight),
    )
  })
  return true
}

/** The invocations in flight that isolates heard from since `since` last reported, summed per function. */
export function inflightSince(sql: SqlStorage, since: number): Record<string, number> {
  const inflight: Record<string, number> = {}
  for (const row of sql.exec<{ inflight: string }>(
    'SELECT inflight FROM isolates WHERE seen_at >= ?',
    since,
  )) {
    for (const [fn, n] of Object.entries(JSON.parse(row.inflight) as Record<string, number>)) {
      inflight[fn] = (inflight[fn] ?? 0) + n
    }
  }
  return inflight
}

/** Forgets isolates not heard from since `before`; true while some remain. */
export function forgetIsolates(sql: SqlStorage, before: number): boolean {
  sql.exec('DELETE FROM isolates WHERE seen_at < ?', before)
  return sql.exec('SELECT 1 FROM isolates LIMIT 1').toArray().length > 0
}
