import { DurableObject } from 'cloudflare:workers'
import { loadConfig } from '../config'
import type { Bindings } from '../env'
import { readCounts } from '../metrics/read'
import { autoscale } from '../scale/autoscaler'
import { type ScalingReport, scalingReport } from '../scale/report'
import { type Replicas, syncReplicas } from '../scale/sync'
import { nextTick, type SyncState, syncState } from '../scale/sync-loop'
import { schedulesOf } from '../schedule/annotations'
import { scheduler } from '../schedule/objects'

const STATE_KEY = 'state'

/**
 * The deployment's one replica sync, autoscaler and idler: lists the
 * provider's functions, refreshes the replica gauges and every function's
 * FunctionState, forgets deleted functions, then scales each function to its
 * load. Cron runs it each minute; its alarm repeats it every SYNC_INTERVAL
 * while there is traffic or a function is on its way down, and wakes it at
 * the next idle deadline. Otherwise the loop stops until traffic or cron.
 */
export class ReplicaSync extends DurableObject<Bindings> {
  #state: SyncState
  #running: Promise<void> | undefined
  /** Functions the last sync could not list, whose replicas are from before. */
  #stale: string[] = []
  /** The schedules last told to the Scheduler, so an unchanged list is not sent again every tick. */
  #told: string | undefined

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env)
    this.#state = syncState(ctx.storage.kv.get<Partial<SyncState>>(STATE_KEY))
  }

  get #config() {
    const result = loadConfig(this.env)
    if (!result.ok) throw new Error(result.error)
    return result.config
  }

  /** Invocations are happening: keep the loop running, starting it now if it stopped. */
  async activity(): Promise<void> {
    const now = Date.now()
    this.#state.activeAt = now
    this.#save()
    // An alarm set for a distant idle deadline must not keep traffic waiting for its first tick.
    const alarm = await this.ctx.storage.getAlarm()
    if (alarm === null || alarm > now + this.#config.syncIntervalMs) await this.ctx.storage.setAlarm(now)
  }

  /** One sync now (the cron trigger's), then the loop goes on if there has been traffic. */
  async tick(): Promise<SyncState> {
    await this.#run()
    return this.#state
  }

  async replicas(): Promise<Record<string, Replicas>> {
    return this.#state.functions
  }

  /** Whether the loop is running, for tests and operators. */
  async looping(): Promise<boolean> {
    return (await this.ctx.storage.getAlarm()) !== null
  }

  /**
   * An AlertManager alert for `key` fired and set it to `replicas`, or
   * resolved (`replicas` undefined). While it fires the autoscaler keeps the
   * function at least there and the idler leaves it alone.
   */
  async alerted(key: string, replicas: number | undefined): Promise<void> {
    if (replicas === undefined) delete this.#state.floors[key]
    else this.#state.floors[key] = replicas
    this.#save()
  }

  /** What GET /system/scaling shows. */
  async scaling(): Promise<ScalingReport> {
    return scalingReport(this.#config, this.#state)
  }

  override async alarm(): Promise<void> {
    await this.#run()
  }

  /** Cron and the alarm can fire together; they share one run, so no function is scaled twice. */
  #run(): Promise<void> {
    this.#running ??= (async () => {
      try {
        await this.#sync()
        await this.#autoscale()
        await this.#continue()
      } finally {
        this.#running = undefined
      }
    })()
    return this.#running
  }

  async #sync(): Promise<void> {
    const result = await syncReplicas(this.env, this.#config, this.#state.functions)
    for (const fault of result.faults) console.warn(`replica sync: ${fault}`)
    this.#stale = result.stale
    this.#state = { ...this.#state, functions: result.functions, faults: result.faults, syncedAt: Date.now() }
    this.#save()
    // Schedules come from the same list: a deploy, update or delete reaches the Scheduler with this tick.
    const schedules = schedulesOf(result.annotations)
    const told = JSON.stringify([schedules, result.stale])
    if (told !== this.#told && this.env.SCHEDULER) {
      await scheduler(this.env).update(schedules, result.stale, Date.now())
      this.#told = told
    }
  }

  async #autoscale(): Promise<void> {
    let counts: Awaited<ReturnType<typeof readCounts>>
    try {
      counts = await readCounts(this.env)
    } catch (error) {
      // Without counts there is no load to act on; the next tick tries again.
      console.warn('autoscaler: cannot read the metrics shards, skipping this tick:', String(error))
      this.#state.nextAt = Date.now() + this.#config.syncIntervalMs
      return
    }
    const { functions } = this.#state
    for (const key of Object.keys(this.#state.floors)) if (!(key in functions)) delete this.#state.floors[key]
    const result = await autoscale(
      this.env,
      this.#config,
      { functions, stale: this.#stale, ...counts, floors: this.#state.floors },
      this.#state.scaling,
    )
    this.#state.scaling = result.scaling
    this.#state.nextAt = result.nextAt
    this.#save()
  }

  async #continue(): Promise<void> {
    const next = nextTick(this.#state, this.#config.syncIntervalMs, Date.now())
    if (next !== undefined) await this.ctx.storage.setAlarm(next)
  }

  #save(): void {
    this.ctx.storage.kv.put(STATE_KEY, this.#state)
  }
}
