import { DurableObject } from 'cloudflare:workers'
import { loadConfig } from '../config'
import type { Bindings } from '../env'
import { type Replicas, syncReplicas } from '../scale/sync'

type SyncState = {
  functions: Record<string, Replicas>
  /** When a shard last reported invocations; the loop runs while this is recent. */
  activeAt: number
  syncedAt: number
  faults: string[]
}

const STATE_KEY = 'state'

/**
 * The deployment's one replica sync: lists the provider's functions, refreshes
 * the replica gauges and every function's FunctionState, and forgets deleted
 * functions. Cron runs it each minute; while functions have traffic it repeats
 * every SYNC_INTERVAL from this object's alarm, and stops when traffic stops.
 */
export class ReplicaSync extends DurableObject<Bindings> {
  #state: SyncState

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env)
    this.#state = ctx.storage.kv.get<SyncState>(STATE_KEY) ?? {
      functions: {},
      activeAt: 0,
      syncedAt: 0,
      faults: [],
    }
  }

  get #config() {
    const result = loadConfig(this.env)
    if (!result.ok) throw new Error(result.error)
    return result.config
  }

  /** Invocations are happening: keep the loop running, starting it now if it stopped. */
  async activity(): Promise<void> {
    this.#state.activeAt = Date.now()
    this.#save()
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now())
  }

  /** One sync now (the cron trigger's), then the loop goes on if there has been traffic. */
  async tick(): Promise<SyncState> {
    await this.#sync()
    await this.#continue()
    return this.#state
  }

  async replicas(): Promise<Record<string, Replicas>> {
    return this.#state.functions
  }

  /** Whether the loop is running, for tests and operators. */
  async looping(): Promise<boolean> {
    return (await this.ctx.storage.getAlarm()) !== null
  }

  override async alarm(): Promise<void> {
    await this.#sync()
    await this.#continue()
  }

  async #sync(): Promise<void> {
    const result = await syncReplicas(this.env, this.#config, this.#state.functions)
    for (const fault of result.faults) console.warn(`replica sync: ${fault}`)
    this.#state = { ...this.#state, functions: result.functions, faults: result.faults, syncedAt: Date.now() }
    this.#save()
  }

  async #continue(): Promise<void> {
    const interval = this.#config.syncIntervalMs
    // Two intervals without traffic and the loop stops; the next invocation or cron restarts it.
    if (Date.now() - this.#state.activeAt < 2 * interval)
      await this.ctx.storage.setAlarm(Date.now() + interval)
  }

  #save(): void {
    this.ctx.storage.kv.put(STATE_KEY, this.#state)
  }
}

export function replicaSync(env: Bindings) {
  return env.REPLICA_SYNC.get(env.REPLICA_SYNC.idFromName('deployment'))
}
