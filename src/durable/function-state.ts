import { DurableObject } from 'cloudflare:workers'
import type { Config } from '../config'
import type { Bindings } from '../env'
import { type FunctionRef, functionStatus, type ProviderFault, scaleFunction } from '../forward/provider-api'
import { scaleLabels } from '../scale/labels'

/** What an isolate learns when it asks whether it may forward an invocation. */
export type Readiness =
  /** `coldStart` is set for the one caller whose call started the wake. */
  | { kind: 'ready'; waitedMs: number; coldStart?: boolean }
  | { kind: 'missing' }
  | { kind: 'timeout'; waitedMs: number }
  | ({ kind: 'fault' } & ProviderFault)

/** What an isolate learns when it asks only whether a function exists: nothing is woken. */
export type Lookup =
  | { kind: 'found'; available: number; labels: Record<string, string> }
  | { kind: 'missing' }
  | ({ kind: 'fault' } & ProviderFault)

/** A change made through the gateway's API, applied at once rather than discovered later. */
export type Change = { kind: 'deployed' } | { kind: 'deleted' } | { kind: 'scaled'; replicas: number }

type Seen =
  | { kind: 'found'; replicas: number; available: number; labels: Record<string, string> }
  | { kind: 'missing' }

type Stored = { seen: Seen; at: number; wakeStartedAt?: number }

const STATE_KEY = 'state'

// How long this object trusts a status before asking the provider again, as
// OpenFaaS's gateway does. Isolates keep their own, longer window (REPLICA_CACHE_TTL).
const STATUS_TTL_MS = 250

/**
 * One per function (`name.namespace`): the function's status as last seen and
 * the scale-from-zero lock. Isolates ask it; only it asks the provider, so a
 * burst spread over any number of isolates sends one scale request.
 */
export class FunctionState extends DurableObject<Bindings> {
  #stored: Stored | undefined
  #waking: Promise<Readiness> | undefined
  #calls = 0

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env)
    // What this object saw before it was evicted or restarted; re-checked against the provider when stale.
    this.#stored = ctx.storage.kv.get<Stored>(STATE_KEY)
  }

  /**
   * Whether an invocation may be forwarded now, waking the function from zero
   * first if need be. Every caller during a wake joins the same one. The
   * caller's parsed config says which provider to ask and how long to wait:
   * every isolate of a deployment has the same one.
   */
  async ready(fn: FunctionRef, config: Config): Promise<Readiness> {
    this.#calls++
    if (this.#waking) return this.#waking
    const seen = await this.#current(fn, config)
    if ('fault' in seen) return { kind: 'fault', ...seen.fault }
    if (seen.kind === 'missing') return { kind: 'missing' }
    if (seen.available > 0) return { kind: 'ready', waitedMs: 0 }
    // Checked again: another call may have started a wake while this one awaited the provider.
    if (this.#waking) return this.#waking
    const wake = this.#wake(fn, config, seen)
    this.#waking = wake.finally(() => {
      this.#waking = undefined
    })
    const result = await wake
    return result.kind === 'ready' ? { ...result, coldStart: true } : result
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
    return { kind: 'found', available: seen.available, labels: seen.labels }
  }

  /** Applies a change made through the gateway, so the next invocation from any isolate acts on it. */
  async changed(change: Change): Promise<void> {
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
    this.#save({ seen: { kind: 'found', replicas: change.replicas, available, labels }, at: Date.now() })
  }

  /**
   * What the replica sync saw on the provider: changes made behind the
   * gateway's back (kubectl, the provider's own API) reach isolates this way.
   */
  async observed(status: {
    replicas: number
    available: number
    labels: Record<string, string>
  }): Promise<void> {
    // A wake in flight polls for itself; its start must survive this update.
    const wakeStartedAt = this.#stored?.wakeStartedAt
    this.#save({
      seen: { kind: 'found', ...status },
      at: Date.now(),
      ...(wakeStartedAt ? { wakeStartedAt } : {}),
    })
  }

  /** For tests and metrics: how many readiness calls and lookups this object has answered. */
  async stats(): Promise<{ calls: number; seen: Seen | undefined }> {
    return { calls: this.#calls, seen: this.#stored?.seen }
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
    this.#save({
      seen,
      at: Date.now(),
      ...(this.#stored?.wakeStartedAt ? { wakeStartedAt: this.#stored.wakeStartedAt } : {}),
    })
    return seen
  }

  async #wake(fn: FunctionRef, config: Config, seen: Extract<Seen, { kind: 'found' }>): Promise<Readiness> {
    const key = `${fn.name}.${fn.namespace}`
    const now = Date.now()
    // A wake this object started before it was restarted is resumed, not started again.
    const resumed = this.#stored?.wakeStartedAt
    const started = resumed && now - resumed < config.scaleFromZeroTimeoutMs ? resumed : now
    if (started === now) this.#save({ ...(this.#stored ?? { seen, at: now }), wakeStartedAt: now })
    try {
      // A resumed wake whose scale request had landed finds replicas above 0 and sends none; one still
      // at 0 never got it (the runtime stopped first), so it is sent now: still one scale-up in all.
      if (seen.replicas === 0) {
        const { min } = scaleLabels(seen.labels, (problem) => console.warn(`${key}: ${problem}`))
        const refused = await scaleFunction(withinWait(config, started), fn, Math.max(1, min))
        if (refused) return { kind: 'fault', ...refused }
      }
      for (;;) {
        const waited = Date.now() - started
        if (waited >= config.scaleFromZeroTimeoutMs) {
          console.warn(`scale from zero: ${key} not ready after ${waited / 1000}s`)
          return { kind: 'timeout', waitedMs: waited }
        }
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(config.scaleFromZeroPollMs, config.scaleFromZeroTimeoutMs - waited)),
        )
        // A provider that is restarting is asked again on the next poll, until the deadline.
        const latest = await this.#refresh(fn, withinWait(config, started))
        if ('fault' in latest) continue
        if (latest.kind === 'missing') return { kind: 'missing' }
        if (latest.available > 0) {
          const waitedMs = Date.now() - started
          console.log(`scale from zero: ${key} ready after ${waitedMs / 1000}s`)
          return { kind: 'ready', waitedMs }
        }
      }
    } finally {
      const stored = this.#stored
      if (stored?.wakeStartedAt) this.#save({ seen: stored.seen, at: stored.at })
    }
  }

  #save(stored: Stored | undefined): void {
    this.#stored = stored
    if (stored) this.ctx.storage.kv.put(STATE_KEY, stored)
    else this.ctx.storage.kv.delete(STATE_KEY)
  }
}

/**
 * The config for a provider call made during a wake: one that hangs is given
 * no longer than what is left of the wait, so waiters get their 504 when the
 * wait ends rather than an upstream timeout later.
 */
function withinWait(config: Config, started: number): Config {
  const left = Math.max(1, config.scaleFromZeroTimeoutMs - (Date.now() - started))
  return left < config.upstreamTimeoutMs ? { ...config, upstreamTimeoutMs: left } : config
}
