import type { Config } from '../config'
import type { Bindings } from '../env'
import { functionStatus, type ProviderFault, scaleFunction } from '../forward/provider-api'
import { type FunctionRef, functionKey } from '../function-ref'
import { type Drain, type DrainAnswer, type DrainBy, joinDrain, startDrain, untilQuiet } from './drain'
import type { Change, Lookup, Missed, Readiness, Seen, Stored } from './readiness'
import { wakeFromZero } from './wake'

/** Where a gate keeps its state: the function's Durable Object storage, and its alarm for a drain's close. */
export type GateStorage = {
  stored: Stored | undefined
  save(stored: Stored | undefined): void
  setAlarm(at: number): Promise<void>
}

// Slack for the clocks of an isolate and this object when comparing a call's start with a scale-down.
const CLOCK_SLACK_MS = 1_000

// How long this object trusts a status before asking the provider again, as
// OpenFaaS's gateway does. Isolates keep their own, longer window (REPLICA_CACHE_TTL).
const STATUS_TTL_MS = 250

/**
 * The protocol one function's FunctionState runs (src/durable/README.md has
 * the timeline): the function's status as last seen, the scale-from-zero lock
 * and the drain to zero. Isolates ask it; only it asks the provider, so a
 * burst spread over any number of isolates sends one scale request.
 */
export class FunctionGate {
  #stored: Stored | undefined
  #waking: Promise<Readiness> | undefined
  #closing: Promise<void> | undefined
  /** Set once a close has sent the provider its scale request. */
  #scalingDown = false
  #calls = 0
  /**
   * When this object last told an isolate the function was ready to cache.
   * Unknown after a restart, when an earlier life of it may have just done
   * so. An isolate's trust is measured from before it asked, so it ends no
   * later than this plus trustedReadyMs.
   */
  #toldReadyAt: number | undefined
  /** The config the last caller passed, for the alarm: every isolate of a deployment parses the same one. */
  #config: Config | undefined
  readonly #env: Bindings
  readonly #storage: GateStorage

  constructor(env: Bindings, storage: GateStorage) {
    this.#env = env
    this.#storage = storage
    // What this object saw before it was evicted or restarted; re-checked against the provider when stale.
    this.#stored = storage.stored
  }

  /**
   * Whether an invocation may be forwarded now, waking the function from zero
   * first if need be. Every caller during a wake joins the same one; a call
   * during a drain to zero is let through to the replica still up until the
   * drain closes, then waits for the scale-down and wakes the function again.
   * The caller's parsed config says which provider to ask and how long to
   * wait: every isolate of a deployment has the same one.
   */
  async ready(fn: FunctionRef, config: Config): Promise<Readiness> {
    this.#calls++
    this.#config = config
    for (;;) {
      if (this.#closing) {
        // The idler misjudged: the function is in use. Past the scale request it is too late, and the call wakes it.
        if (this.#stored?.drain?.by === 'idler' && !this.#scalingDown)
          this.#endDrain('a call came as it closed')
        await this.#closing
        continue
      }
      if (this.#waking) return this.#waking
      const drain = this.#stored?.drain
      const seen = this.#stored?.seen
      if (drain) {
        const up = seen?.kind === 'found' && seen.available > 0
        if (drain.by === 'idler') this.#endDrain('a call came during the drain')
        else if (!up) this.#endDrain('the provider reports no replica: at zero already')
        else if (Date.now() < drain.closeAt) return { kind: 'ready', waitedMs: 0, draining: true }
        else {
          void this.#close(config)
          continue
        }
      }
      const current = await this.#current(fn, config)
      // Looked at again: a drain or a wake may have begun while this call awaited the provider.
      if (this.#closing || this.#waking || this.#stored?.drain) continue
      if ('fault' in current) {
        // A provider that cannot say now does not unlearn a function seen serving: its calls go on.
        const seen = this.#stored?.seen
        if (seen?.kind === 'found' && seen.available > 0)
          return this.#toldReady({ kind: 'ready', waitedMs: 0 })
        return { kind: 'fault', ...current.fault }
      }
      if (current.kind === 'missing') return { kind: 'missing' }
      if (current.available > 0) return this.#toldReady({ kind: 'ready', waitedMs: 0 })
      const wake = this.#wake(fn, config, current)
      this.#waking = wake.finally(() => {
        this.#waking = undefined
      })
      const result = await wake
      return this.#toldReady(result.kind === 'ready' ? { ...result, coldStart: true } : result)
    }
  }

  /** Notes an answer an isolate caches as "ready", which a drain must outwait. */
  #toldReady<T extends Readiness>(answer: T): T {
    if (answer.kind === 'ready' && !answer.draining) this.#toldReadyAt = Date.now()
    return answer
  }

  /**
   * A call sent at `sentAt` (the isolate's clock) was answered 503 by the
   * provider. When the function has no replica now, or had none since the
   * call was sent, the 503 was the scale-down's, not the function's: it is
   * woken (joining any wake) and the caller may send the call once more.
   * Otherwise the function is serving and the 503 was its own answer.
   */
  async noReplica(fn: FunctionRef, config: Config, sentAt: number): Promise<Missed> {
    const coldSince = (this.#stored?.coldAt ?? 0) >= sentAt - CLOCK_SLACK_MS
    if (!this.#waking && !this.#closing) {
      const seen = await this.#refresh(fn, config)
      if ('fault' in seen) return { kind: 'fault', ...seen.fault }
      if (seen.kind === 'missing') return { kind: 'missing' }
      if (seen.available > 0 && !coldSince && !this.#waking) return { kind: 'serving' }
      if (seen.available === 0 && this.#stored?.drain)
        this.#endDrain('the provider reports no replica: at zero already')
    }
    return this.ready(fn, config)
  }

  /**
   * Takes the function to zero without cutting off a call (src/durable/README.md
   * has the timeline): from now on no isolate is told "ready" to cache; once
   * every "ready" already given out has expired (`closeAt`) new calls wait,
   * and once no call through the gateway is in flight the provider is told
   * 0. Calls that waited then wake it again. Asking again joins the drain.
   */
  async drain(fn: FunctionRef, config: Config, by: DrainBy, started?: number): Promise<DrainAnswer> {
    this.#config = config
    const current = this.#stored?.drain
    if (current) return this.#join(current, by)
    const seen = await this.#current(fn, config)
    if ('fault' in seen) return { kind: 'fault', ...seen.fault }
    if (seen.kind === 'missing') return { kind: 'missing' }
    const raced = this.#stored?.drain
    if (raced) return this.#join(raced, by)
    if (seen.replicas === 0 && !this.#waking) return { kind: 'zero' }
    const drain = {
      ...startDrain(by, config.replicaCacheTtlMs, Date.now(), started, this.#toldReadyAt),
      fn,
    }
    this.#save({ ...(this.#stored ?? { seen, at: Date.now() }), drain })
    await this.#storage.setAlarm(drain.closeAt)
    console.log(
      `drain: ${functionKey(fn)} draining to 0 (asked by ${by}), closing in ${Math.max(0, drain.closeAt - drain.since)} ms`,
    )
    return { kind: 'draining', closeAt: drain.closeAt }
  }

  /**
   * The drain's clock: close it when its time comes, however long this object
   * slept. `deployed` is the deployment's own config, for an object evicted
   * since its last caller.
   */
  async due(deployed: () => Config): Promise<void> {
    const drain = this.#stored?.drain
    if (!drain) return
    if (Date.now() < drain.closeAt) {
      await this.#storage.setAlarm(drain.closeAt)
      return
    }
    await this.#close(this.#config ?? deployed())
  }

  #join(current: Drain & { fn: FunctionRef }, by: DrainBy): DrainAnswer {
    // Changed in place: a close in progress knows its drain by identity.
    current.by = joinDrain(current, by).by
    if (this.#stored) this.#save(this.#stored)
    return { kind: 'draining', closeAt: current.closeAt }
  }

  /** One close per drain, however many callers and alarms ask for it. */
  #close(config: Config): Promise<void> {
    this.#closing ??= this.#closeNow(config).finally(() => {
      this.#closing = undefined
    })
    return this.#closing
  }

  async #closeNow(config: Config): Promise<void> {
    const drain = this.#stored?.drain
    if (!drain) return
    const key = functionKey(drain.fn)
    // A wake in flight when the drain was asked for finishes first: its callers are served, then drained.
    if (this.#waking) await this.#waking
    const quiet = await untilQuiet(
      this.#env,
      key,
      drain,
      config.upstreamTimeoutMs,
      () => this.#stored?.drain === drain,
    )
    if (quiet.kind === 'ended' || this.#stored?.drain !== drain) return
    if (quiet.kind === 'busy') return this.#endDrain('calls came during the drain')
    if (quiet.kind === 'unknown') return this.#endDrain(quiet.reason)
    this.#scalingDown = true
    const refused = await scaleFunction(config, drain.fn, 0).finally(() => {
      this.#scalingDown = false
    })
    if (refused) return this.#endDrain(`the provider refused to scale it to 0: ${refused.message}`)
    const stored = this.#stored
    const labels = stored?.seen.kind === 'found' ? stored.seen.labels : {}
    const now = Date.now()
    // A change made while the scale request was out (scaled up, deleted) is the provider's to report.
    if (stored?.drain !== drain) {
      this.#save(undefined)
      return
    }
    this.#save({ seen: { kind: 'found', replicas: 0, available: 0, labels }, at: now, coldAt: now })
    console.log(`drain: ${key} scaled to 0, ${now - drain.since} ms after the drain began`)
  }

  #endDrain(why: string): void {
    const stored = this.#stored
    if (!stored?.drain) return
    const { drain, ...rest } = stored
    console.log(`drain: ${functionKey(drain.fn)} stays up: ${why}`)
    this.#save(rest)
  }

  /**
   * Whether the function exists, with its labels, without waking it: an
   * asynchronous call is accepted for a function at zero, which wakes only
   * when the queue delivers the call. A status seen during a wake is current
   * enough for that.
   */
  async lookup(fn: FunctionRef, config: Config): Promise<Lookup> {
    this.#calls++
    const stored = this.#stored
    const fresh = stored !== undefined && Date.now() - stored.at < STATUS_TTL_MS
    const seen = stored && (fresh || this.#waking) ? stored.seen : await this.#refresh(fn, config)
    if ('fault' in seen) return { kind: 'fault', ...seen.fault }
    if (seen.kind === 'missing') return seen
    const found = { kind: 'found' as const, available: seen.available, labels: seen.labels }
    // An isolate caches a function found serving as ready, so during a drain it is told not to.
    if (this.#stored?.drain) return { ...found, draining: true }
    if (found.available > 0) this.#toldReadyAt = Date.now()
    return found
  }

  /** Applies a change made through the gateway, so the next invocation from any isolate acts on it. */
  changed(change: Change): void {
    if (change.kind === 'deployed') {
      // Replicas and labels are the provider's to report; forget what was seen so the next call asks.
      this.#save(undefined)
      return
    }
    if (change.kind === 'deleted') {
      this.#save({ seen: { kind: 'missing' }, at: Date.now() })
      return
    }
    const previous = this.#stored?.seen
    const labels = previous?.kind === 'found' ? previous.labels : {}
    // Scaled to 0: nothing serves it any more. Scaled up: ready once the provider says so.
    const available = change.replicas === 0 ? 0 : previous?.kind === 'found' ? previous.available : 0
    const now = Date.now()
    // A drain in flight is overtaken: a scale-up ends it, and a scale to 0 has happened already.
    this.#save({
      seen: { kind: 'found', replicas: change.replicas, available, labels },
      at: now,
      ...(change.replicas === 0 ? { coldAt: now } : {}),
    })
  }

  /**
   * What the replica sync saw on the provider: changes made behind the
   * gateway's back (kubectl, the provider's own API) reach isolates this way.
   */
  observed(status: { replicas: number; available: number; labels: Record<string, string> }): void {
    // A wake or a drain in flight keeps its own state; only what was seen is new.
    this.#save({ ...this.#stored, seen: { kind: 'found', ...status }, at: Date.now() })
  }

  /** For tests and metrics: how many readiness calls and lookups this object has answered. */
  stats(): { calls: number; seen: Seen | undefined; drain: Drain | undefined } {
    return { calls: this.#calls, seen: this.#stored?.seen, drain: this.#stored?.drain }
  }

  /** The function's status, from memory while fresh, else from the provider. */
  async #current(fn: FunctionRef, config: Config): Promise<Seen | { fault: ProviderFault }> {
    const stored = this.#stored
    const fresh = stored !== undefined && Date.now() - stored.at < STATUS_TTL_MS
    // "Not available" is always re-checked: it is what a wake would act on.
    if (fresh && !(stored.seen.kind === 'found' && stored.seen.available === 0)) return stored.seen
    return this.#refresh(fn, config)
  }

  async #refresh(fn: FunctionRef, config: Config): Promise<Seen | { fault: ProviderFault }> {
    const answer = await functionStatus(config, fn)
    // A fault says nothing about the function: keep what was seen rather than poison it.
    if (answer.kind === 'fault') return { fault: { status: answer.status, message: answer.message } }
    const seen: Seen =
      answer.kind === 'missing'
        ? { kind: 'missing' }
        : {
            kind: 'found',
            replicas: answer.status.replicas ?? 0,
            available: answer.status.availableReplicas ?? 0,
            labels: answer.status.labels ?? {},
          }
    this.#save({ ...this.#stored, seen, at: Date.now() })
    return seen
  }

  async #wake(fn: FunctionRef, config: Config, seen: Extract<Seen, { kind: 'found' }>): Promise<Readiness> {
    const now = Date.now()
    // A wake this object started before it was restarted is resumed, not started again.
    const resumed = this.#stored?.wakeStartedAt
    const started = resumed && now - resumed < config.scaleFromZeroTimeoutMs ? resumed : now
    if (started === now)
      this.#save({ ...(this.#stored ?? { seen, at: now }), wakeStartedAt: now, coldAt: now })
    try {
      return await wakeFromZero(fn, config, seen, started, (within) => this.#refresh(fn, within))
    } finally {
      if (this.#stored?.wakeStartedAt) {
        const { wakeStartedAt: _, ...rest } = this.#stored
        this.#save(rest)
      }
    }
  }

  #save(stored: Stored | undefined): void {
    this.#stored = stored
    this.#storage.save(stored)
  }
}
