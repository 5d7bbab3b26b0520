import { DurableObject } from 'cloudflare:workers'
import type { Bindings } from '../env'
import type { Counts } from '../metrics/batch'
import type { Flush } from '../metrics/buffer'
import {
  applyFlush,
  forgetIsolates,
  inflightSince,
  loadTotals,
  SHARD_SCHEMA,
  type ShardSnapshot,
} from '../metrics/shard-sums'
import { replicaSync } from '../scale/objects'

// An isolate that has not flushed for this long is gone or idle; its in-flight report no longer counts.
const INFLIGHT_FRESH_MS = 10_000
const POKE_EVERY_MS = 2_000
// Sequence numbers of isolates not heard from for a day are forgotten, keeping the table small.
const FORGET_ISOLATE_MS = 24 * 3600_000

/**
 * One of the shards that add up invocation counts from every isolate
 * (src/metrics/shard-sums.ts). Each isolate flushes to one shard (chosen by
 * its id), so writes spread evenly however the traffic spreads over
 * functions. Traffic through a shard keeps the replica sync running.
 */
export class MetricsShard extends DurableObject<Bindings> {
  #sql: SqlStorage
  #totals: Counts
  #pokedAt = 0

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env)
    this.#sql = ctx.storage.sql
    this.#sql.exec(SHARD_SCHEMA)
    this.#totals = loadTotals(this.#sql)
  }

  /** Adds a flush unless this isolate's sequence number was applied already; true when applied now. */
  async apply(flush: Flush): Promise<boolean> {
    const now = Date.now()
    const applied = applyFlush(
      this.#sql,
      (write) => this.ctx.storage.transactionSync(write),
      this.#totals,
      flush,
      now,
    )
    if (!applied) return false
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
    return { counts: this.#totals, inflight: inflightSince(this.#sql, Date.now() - inflightFreshMs) }
  }

  override async alarm(): Promise<void> {
    if (forgetIsolates(this.#sql, Date.now() - FORGET_ISOLATE_MS))
      await this.ctx.storage.setAlarm(Date.now() + FORGET_ISOLATE_MS)
  }
}
