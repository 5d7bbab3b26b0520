import type { Config } from '../config'
import type { Counts } from '../metrics/batch'
import { type AutoscaleInput, decide, type Recommendation, type Verdict } from './decide'
import { idleVerdict } from './idle'
import { type ScaleType, scaleLabels } from './labels'
import { inFlight, measureRate, type Sample, sampleOf } from './load'
import type { Replicas } from './sync'

export type Action = 'up' | 'down' | 'idle' | 'hold' | 'off'

/** What the autoscaler and the idler concluded about a function at one tick. */
export type Evaluation = {
  at: number
  action: Action
  /** A short, stable name for the reason: a verdict is logged when this, the action or desired changes. */
  kind: string
  reason: string
  type: ScaleType
  /** Requests per second (rps, off) or in flight (capacity); undefined until measured. */
  load: number | undefined
  target: number
  min: number
  max: number
  replicas: number
  available: number
  desired: number
  recommended: number | undefined
  inFlight: number
  /** Replicas a firing alert holds the function at (0: none). */
  floor: number
  /** For functions the idler may scale to 0: the idle duration and how long they have had no invocation. */
  idle: { afterMs: number; quietMs: number } | undefined
}

/** A change the autoscaler or the idler made, or tried to make (`error` says why it did not happen). */
export type Decision = {
  at: number
  action: 'up' | 'down' | 'idle'
  from: number
  to: number
  reason: string
  load: number | undefined
  target: number
  error?: string
}

/** What the replica sync keeps between ticks for one function. */
export type FunctionScaling = {
  /** Cumulative counts at recent ticks, for the rate. */
  samples: Sample[]
  /** When the counts last moved. */
  countsChangedAt: number
  /** The idle clock: the last invocation seen, or when the function was first seen or woken from 0. */
  activeAt: number
  /** The replicas the autoscaler last saw or set: a different count now was set by someone else. */
  lastSeen: number | undefined
  /** The down window's recommendations, highest first. */
  window: Recommendation[]
  /** `Observed.asked` at the last tick. */
  asked?: number
  evaluation?: Evaluation
  decision?: Decision
}

export type Settings = {
  autoscale: boolean
  target: number
  downWindowMs: number
  idleAfterMs: number
  intervalMs: number
  upstreamTimeoutMs: number
}

export function settingsOf(config: Config): Settings {
  return {
    autoscale: config.autoscale,
    target: config.autoscaleTarget,
    downWindowMs: config.autoscaleDownWindowMs,
    idleAfterMs: config.idleAfterMs,
    intervalMs: config.syncIntervalMs,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
  }
}

export type Observed = {
  replicas: Replicas
  /** Every function's counts and in-flight gauge, summed over the metrics shards. */
  counts: Counts
  inflight: Record<string, number>
  /** The provider could not list the function's namespace this tick: its replicas are last tick's. */
  stale: boolean
  /** Replicas a firing AlertManager alert set (0: none): never scaled below, never idled. */
  floor: number
  /**
   * For functions the idler watches: how many readiness questions the
   * function's FunctionState has answered. An isolate asks at the start of a
   * call when it has not asked for REPLICA_CACHE_TTL, before the call's
   * counts are flushed (at its end): so a long call is heard of as it starts.
   */
  asked?: number | 'unreachable'
}

export type Plan = {
  state: FunctionScaling
  change?: { action: 'up' | 'down' | 'idle'; to: number }
  /** When this function needs another tick; undefined when only traffic (or cron) should bring one. */
  nextAt?: number
}

/**
 * Whether the function's FunctionState was asked since the last tick: a call
 * started, though its counts may come only when it ends. The object counts in
 * memory: fewer than before means it restarted (it is evicted when idle), and
 * then any count at all was a call. Not reachable counts as asked, so the
 * idler waits rather than risk cutting a call off. Updates `state.asked`.
 */
function heardOfACall(state: FunctionScaling, asked: Observed['asked']): boolean {
  if (asked === 'unreachable') return true
  const before = state.asked
  if (asked === undefined) delete state.asked
  else state.asked = asked
  if (asked === undefined || before === undefined) return false
  return asked > before || (asked < before && asked > 0)
}

function autoscaleVerdict(observed: Observed, settings: Settings, input: AutoscaleInput): Verdict {
  if (!settings.autoscale)
    return { ...unchanged(input), action: 'off', kind: 'disabled', reason: 'AUTOSCALE=false', window: [] }
  if (observed.stale)
    return {
      ...unchanged(input),
      action: 'hold',
      kind: 'stale',
      reason: "the provider did not list the function's namespace this tick",
    }
  return decide(input)
}

const unchanged = (input: AutoscaleInput) => ({
  desired: input.current,
  recommended: undefined,
  window: input.window,
})

export function freshScaling(now: number): FunctionScaling {
  return { samples: [], countsChangedAt: now, activeAt: now, lastSeen: undefined, window: [] }
}

/**
 * One function at one tick: measure its load, ask the idler, then the
 * autoscaler, and say what should change. Pure: the caller makes the call.
 */
export function plan(
  key: string,
  previous: FunctionScaling | undefined,
  observed: Observed,
  settings: Settings,
  now: number,
  warn: (problem: string) => void,
): Plan {
  const labels = scaleLabels(observed.replicas.labels, warn)
  const state: FunctionScaling = { ...(previous ?? freshScaling(now)) }
  const current = observed.replicas.replicas
  const sample = sampleOf(observed.counts, key, now)
  const last = state.samples.at(-1)
  if (last && (last.started !== sample.started || last.finished !== sample.finished)) {
    state.countsChangedAt = now
    state.activeAt = now
  }
  // Woken from 0 (by an invocation or by hand): the idle clock starts again.
  if (state.lastSeen === 0 && current > 0) state.activeAt = now
  if (heardOfACall(state, observed.asked)) state.activeAt = now
  const { samples, rps } = measureRate(state.samples, sample, settings.intervalMs)
  state.samples = samples
  const gauge = observed.inflight[key] ?? 0
  const running = inFlight(gauge, sample, state.countsChangedAt, settings.upstreamTimeoutMs)
  const load = labels.type === 'capacity' ? gauge : rps
  const target = labels.target ?? settings.target
  // Any idle duration is safe: the idler drains a function to zero (src/scale/drain.ts), it does not cut it off.
  const afterMs = labels.zeroDurationMs ?? settings.idleAfterMs

  const idle = idleVerdict({
    now,
    zero: labels.zero,
    afterMs,
    activeAt: state.activeAt,
    inFlight: running,
    current,
    floor: observed.floor,
  })
  const verdict = idle.idle
    ? undefined
    : autoscaleVerdict(observed, settings, {
        now,
        load,
        current,
        lastSeen: state.lastSeen,
        type: labels.type,
        min: labels.min,
        max: labels.max,
        target,
        downWindowMs: labels.downWindowMs ?? settings.downWindowMs,
        floor: observed.floor,
        window: state.window,
      })
  const reason = verdict?.reason ?? idle.reason
  const action: Action = verdict?.action ?? 'idle'
  const desired = verdict?.desired ?? 0
  state.window = verdict?.window ?? []
  state.lastSeen = current
  state.evaluation = {
    at: now,
    action,
    kind: verdict?.kind ?? 'idle',
    // The idler's view is added while it is counting down, so a hold says why the function is still up.
    reason: labels.zero && !idle.idle && current > 0 ? `${reason}; idler: ${idle.reason}` : reason,
    type: labels.type,
    load,
    target,
    min: labels.min,
    max: labels.max,
    replicas: current,
    available: observed.replicas.available,
    desired,
    recommended: verdict?.recommended,
    inFlight: running,
    floor: observed.floor,
    idle: labels.zero ? { afterMs, quietMs: now - state.activeAt } : undefined,
  }

  const result: Plan = { state }
  const wake = (at: number) => {
    result.nextAt = Math.min(result.nextAt ?? at, at)
  }
  if (action === 'up' || action === 'down' || action === 'idle') {
    result.change = { action, to: desired }
    // Looked at again next tick: to see the change, or to retry it if the provider refused.
    wake(now + settings.intervalMs)
  }
  // Above what it may come down to: the down window needs ticks even without traffic.
  const autoscaling = verdict !== undefined && verdict.action !== 'off'
  if (autoscaling && current > Math.max(1, labels.min, Math.min(observed.floor, labels.max)))
    wake(now + settings.intervalMs)
  if (!idle.idle && idle.at !== undefined) wake(Math.max(idle.at, now + Math.min(settings.intervalMs, 1000)))
  return result
}
