import { DurableObject } from 'cloudflare:workers'
import type { Bindings } from '../env'
import {
  addCounts,
  type CodeCounts,
  type Counts,
  type FunctionCounts,
  functionCounts,
} from '../metrics/batch'
import type { Flush } from '../metrics/buffer'
import { replicaSync } from './replica-sync'

/** What one shard has added up, and the invocations in flight that its isolates reported lately. */
export type ShardSnapshot = { counts: Counts; inflight: Record<string, number> }

// An isolate that has not flushed for this long is gone or idle; its in-flight report no longer counts.
const INFLIGHT_FRESH_MS = 10_000
const POKE_EVERY_MS = 2_000
// Sequence numbers of isolates not heard from for a day are forgotten, keeping the table small.
const FORGET_ISOLATE_MS = 24 * 3600_000

/**
 * One of the shards that add up invocation counts from every isolate. Each
 * isolate flushes to one shard (chosen by its id), so writes spread evenly
 * however the traffic spreads over functions. Each flush is applied once:
 * a retried sequence number is acknowledged and ignored.
 */
export class MetricsShard extends DurableObject<Bindings> {
  #sql: SqlStorage
  /** The shard's totals, read once from storage and kept in step with it. */
  #totals: Counts = {}
  #pokedAt = 0

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env)
    this.#sql = ctx.storage.sql
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS functions (
      fn TEXT PRIMARY KEY, started INTEGER NOT NULL, waits INTEGER NOT NULL, wait_seconds REAL NOT NULL,
      cold_starts INTEGER NOT NULL)`)
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS codes (
      fn TEXT NOT NULL, code TEXT NOT NULL, count INTEGER NOT NULL, sum_seconds REAL NOT NULL, buckets TEXT NOT NULL,
      PRIMARY KEY (fn, code))`)
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS isolates (
      id TEXT PRIMARY KEY, seq INTEGER NOT NULL, seen_at INTEGER NOT NULL, inflight TEXT NOT NULL)`)
    for (const row of this.#sql.exec<{
      fn: string
      started: number
      waits: number
      wait_seconds: number
      cold_starts: number
    }>('SELECT * FROM functions')) {
      this.#totals[row.fn] = {
        started: row.started,
        waits: row.waits,
        waitSeconds: row.wait_seconds,
        coldStarts: row.cold_starts,
        codes: {},
      }
    }
    for (const row of this.#sql.exec<{
      fn: string
      code: string
      count: number
      sum_seconds: number
      buckets: string
    }>('SELECT * FROM codes')) {
      functionCounts(this.#totals, row.fn).codes[row.code] = {
        count: row.count,
        sumSeconds: row.sum_seconds,
        buckets: JSON.parse(row.buckets),
      }
    }
  }

  /** Adds a flush unless this isolate's sequence number was applied already; true when applied now. */
  async apply(flush: Flush): Promise<boolean> {
    const now = Date.now()
    const last = this.#sql
      .exec<{ seq: number }>('SELECT seq FROM isolates WHERE id = ?', flush.isolate)
      .toArray()[0]
    if (last && last.seq >= flush.seq) return false
    addCounts(this.#totals, flush.counts)
    this.ctx.storage.transactionSync(() => {
      for (const fn of Object.keys(flush.counts)) {
        const total = this.#totals[fn] as FunctionCounts
        this.#sql.exec(
          'INSERT OR REPLACE INTO functions (fn, started, waits, wait_seconds, cold_starts) VALUES (?, ?, ?, ?, ?)',
          fn,
          total.started,
          total.waits,
          total.waitSeconds,
          total.coldStarts,
        )
        for (const code of Object.keys(flush.counts[fn]?.codes ?? {})) {
          const c = total.codes[code] as CodeCounts
          this.#sql.exec(
            'INSERT OR REPLACE INTO codes (fn, code, count, sum_seconds, buckets) VALUES (?, ?, ?, ?, ?)',
            fn,
            code,
            c.count,
            c.sumSeconds,
            JSON.stringify(c.buckets),
          )
        }
      }
      this.#sql.exec(
        'INSERT OR REPLACE INTO isolates (id, seq, seen_at, inflight) VALUES (?, ?, ?, ?)',
        flush.isolate,
        flush.seq,
        now,
        JSON.stringify(flush.inflight),
      )
    })
    if (now - this.#pokedAt >= POKE_EVERY_MS) {
      // Traffic keeps the replica sync loop running; one shard's word every few seconds is enough.
      this.#pokedAt = now
      this.ctx.waitUntil(
        replicaSync(this.env)
          .activity()
          .catch((error: unknown) =>
            console.warn('metrics shard: cannot reach the replica sync:', String(error)),
          ),
      )
    }
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + FORGET_ISOLATE_MS)
    return true
  }

  /** `inflightFreshMs`: how old an isolate's in-flight report may be and still count (a drain looks further back). */
  async snapshot(inflightFreshMs = INFLIGHT_FRESH_MS): Promise<ShardSnapshot> {
    const inflight: Record<string, number> = {}
    const since = Date.now() - inflightFreshMs
    for (const row of this.#sql.exec<{ inflight: string }>(
      'SELECT inflight FROM isolates WHERE seen_at >= ?',
      since,
    )) {
      for (const [fn, n] of Object.entries(JSON.parse(row.inflight) as Record<string, number>)) {
        inflight[fn] = (inflight[fn] ?? 0) + n
      }
    }
    return { counts: this.#totals, inflight }
  }

  override async alarm(): Promise<void> {
    this.#sql.exec('DELETE FROM isolates WHERE seen_at < ?', Date.now() - FORGET_ISOLATE_MS)
    if (this.#sql.exec('SELECT 1 FROM isolates LIMIT 1').toArray().length > 0) {
      await this.ctx.storage.setAlarm(Date.now() + FORGET_ISOLATE_MS)
    }
  }
}
