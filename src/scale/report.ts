import type { Config } from '../config'
import { parseFunctionKey } from '../function-ref'
import type { ScalingState } from './autoscaler'
import type { Action, Decision } from './plan'

/** One function on GET /system/scaling: its load and replicas at the last tick, and the last change made. */
export type FunctionScalingReport = {
  name: string
  namespace: string
  type: string
  /** Requests per second (rps, off) or in flight (capacity); null until measured. */
  load: number | null
  target: number
  min: number
  max: number
  replicas: number
  availableReplicas: number
  /** What the autoscaler or idler set, or keeps. */
  desired: number
  /** What the load alone asks for; null when not measured or not autoscaled. */
  recommended: number | null
  inFlight: number
  /** Replicas a firing AlertManager alert holds the function at; null when none fires. */
  alertFloor: number | null
  /** For functions labelled com.openfaas.scale.zero=true. */
  idle: { afterSeconds: number; idleSeconds: number } | null
  /** The last tick's verdict. */
  status: { action: Action; reason: string; at: string }
  /** The last scale call made (or tried: `error`), by the autoscaler or the idler. */
  lastDecision: (Omit<Decision, 'at' | 'load'> & { at: string; load: number | null }) | null
}

export type ScalingReport = {
  autoscale: boolean
  syncIntervalSeconds: number
  defaultTarget: number
  downWindowSeconds: number
  idleAfterSeconds: number
  /** When the last tick ran; null before the first. */
  syncedAt: string | null
  functions: FunctionScalingReport[]
}

const round = (n: number) => Number(n.toFixed(3))
const seconds = (ms: number) => round(ms / 1000)
const iso = (ms: number) => new Date(ms).toISOString()

export function scalingReport(
  config: Config,
  state: { syncedAt: number; scaling: ScalingState; floors: Record<string, number> },
): ScalingReport {
  const functions: FunctionScalingReport[] = []
  for (const key of Object.keys(state.scaling).sort()) {
    const scaling = state.scaling[key]
    const e = scaling?.evaluation
    if (!scaling || !e) continue
    const decision = scaling.decision
    functions.push({
      ...parseFunctionKey(key),
      type: e.type,
      load: e.load === undefined ? null : round(e.load),
      target: e.target,
      min: e.min,
      max: e.max,
      replicas: e.replicas,
      availableReplicas: e.available,
      desired: e.desired,
      recommended: e.recommended ?? null,
      inFlight: e.inFlight,
      alertFloor: state.floors[key] ?? null,
      idle: e.idle ? { afterSeconds: seconds(e.idle.afterMs), idleSeconds: seconds(e.idle.quietMs) } : null,
      status: { action: e.action, reason: e.reason, at: iso(e.at) },
      lastDecision: decision
        ? {
            ...decision,
            at: iso(decision.at),
            load: decision.load === undefined ? null : round(decision.load),
          }
        : null,
    })
  }
  return {
    autoscale: config.autoscale,
    syncIntervalSeconds: seconds(config.syncIntervalMs),
    defaultTarget: config.autoscaleTarget,
    downWindowSeconds: seconds(config.autoscaleDownWindowMs),
    idleAfterSeconds: seconds(config.idleAfterMs),
    syncedAt: state.syncedAt > 0 ? iso(state.syncedAt) : null,
    functions,
  }
}
