import { DurableObject } from 'cloudflare:workers'
import { type Config, loadConfig } from '../config'
import type { Bindings } from '../env'
import type { FunctionRef } from '../function-ref'
import type { DrainAnswer, DrainBy } from '../scale/drain'
import { FunctionGate } from '../scale/function-gate'
import type { Change, Lookup, Missed, Readiness, Stored } from '../scale/readiness'

const STATE_KEY = 'state'

/**
 * One per function (`name.namespace`): storage, RPC surface and alarm for the
 * function's gate (src/scale/function-gate.ts), which holds its status as
 * last seen, the scale-from-zero lock and the drain to zero.
 */
export class FunctionState extends DurableObject<Bindings> {
  #gate: FunctionGate

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env)
    this.#gate = new FunctionGate(env, {
      stored: ctx.storage.kv.get<Stored>(STATE_KEY),
      save: (stored) => (stored ? ctx.storage.kv.put(STATE_KEY, stored) : ctx.storage.kv.delete(STATE_KEY)),
      setAlarm: (at) => ctx.storage.setAlarm(at),
    })
  }

  ready(fn: FunctionRef, config: Config): Promise<Readiness> {
    return this.#gate.ready(fn, config)
  }

  noReplica(fn: FunctionRef, config: Config, sentAt: number): Promise<Missed> {
    return this.#gate.noReplica(fn, config, sentAt)
  }

  drain(fn: FunctionRef, config: Config, by: DrainBy, started?: number): Promise<DrainAnswer> {
    return this.#gate.drain(fn, config, by, started)
  }

  lookup(fn: FunctionRef, config: Config): Promise<Lookup> {
    return this.#gate.lookup(fn, config)
  }

  async changed(change: Change): Promise<void> {
    this.#gate.changed(change)
  }

  async observed(status: {
    replicas: number
    available: number
    labels: Record<string, string>
  }): Promise<void> {
    this.#gate.observed(status)
  }

  async stats(): Promise<ReturnType<FunctionGate['stats']>> {
    return this.#gate.stats()
  }

  override async alarm(): Promise<void> {
    await this.#gate.due(() => {
      const loaded = loadConfig(this.env)
      if (!loaded.ok) throw new Error(loaded.error)
      return loaded.config
    })
  }
}
