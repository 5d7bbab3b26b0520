import { parseDuration } from '../duration'

/** What a function's load is measured as: requests per second, requests in flight, or not at all. */
export type ScaleType = 'rps' | 'capacity' | 'off'

/** The scaling labels of a function, with OpenFaaS's meanings and edgefaas's defaults. */
export type ScaleLabels = {
  /** Replicas to keep, and to wake to: `com.openfaas.scale.min`, default 1. */
  min: number
  /** Never more than this: `com.openfaas.scale.max`, default 20 (CE caps at 5). */
  max: number
  /** Alert scaling step, percent of max: `com.openfaas.scale.factor`, default 20; 0 disables it. */
  factor: number
  /** `com.openfaas.scale.type`: rps (default), capacity, or off (no load-based scaling). */
  type: ScaleType
  /** Load per replica: `com.openfaas.scale.target`; absent, the gateway's AUTOSCALE_TARGET. */
  target?: number
  /** `com.openfaas.scale.down-window`; absent, the gateway's AUTOSCALE_DOWN_WINDOW. */
  downWindowMs?: number
  /** `com.openfaas.scale.zero=true`: the idler may scale the function to 0. */
  zero: boolean
  /** `com.openfaas.scale.zero-duration`; absent, the gateway's IDLE_AFTER. */
  zeroDurationMs?: number
}

export const DEFAULT_SCALE: ScaleLabels = { min: 1, max: 20, factor: 20, type: 'rps', zero: false }

const PREFIX = 'com.openfaas.scale.'
const TYPES: readonly ScaleType[] = ['rps', 'capacity', 'off']

type Problems = string[]

function read(labels: Record<string, string>, key: string): string | undefined {
  return labels[PREFIX + key]?.trim()
}

function whole(labels: Record<string, string>, key: string, problems: Problems): number | undefined {
  const raw = labels[PREFIX + key]
  if (raw === undefined) return undefined
  if (!/^\d+$/.test(raw.trim())) {
    problems.push(`${PREFIX}${key}="${raw}" is not a whole number >= 0`)
    return undefined
  }
  return Number(raw.trim())
}

function scaleType(labels: Record<string, string>, problems: Problems): ScaleType {
  const raw = read(labels, 'type')
  if (raw === undefined) return DEFAULT_SCALE.type
  const type = TYPES.find((t) => t === raw.toLowerCase())
  if (type) return type
  problems.push(`${PREFIX}type="${raw}" is not rps, capacity or off; using rps`)
  return DEFAULT_SCALE.type
}

function target(labels: Record<string, string>, problems: Problems): number | undefined {
  const raw = read(labels, 'target')
  if (raw === undefined) return undefined
  const value = /^(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN
  if (value > 0) return value
  problems.push(`${PREFIX}target="${raw}" is not a number above 0; using the gateway's AUTOSCALE_TARGET`)
  return undefined
}

function duration(
  labels: Record<string, string>,
  key: string,
  fallback: string,
  allowZero: boolean,
  problems: Problems,
): number | undefined {
  const raw = read(labels, key)
  if (raw === undefined) return undefined
  const ms = parseDuration(raw)
  if (ms !== undefined && (ms > 0 || (allowZero && ms === 0))) return ms
  problems.push(
    `${PREFIX}${key}="${raw}" is not a ${allowZero ? '' : 'positive '}duration; using ${fallback}`,
  )
  return undefined
}

function flag(labels: Record<string, string>, key: string, problems: Problems): boolean {
  const raw = read(labels, key)
  if (raw === undefined) return false
  if (/^true$/i.test(raw)) return true
  if (!/^false$/i.test(raw)) problems.push(`${PREFIX}${key}="${raw}" is not true or false; using false`)
  return false
}

/**
 * Reads the labels; a bad one (not a whole number, factor over 100, min over
 * max, an unknown type, a duration that does not parse) is reported through
 * `warn` and its default used, never an exception: a typo in a label must not
 * stop a function from scaling.
 */
export function scaleLabels(
  labels: Record<string, string> | undefined,
  warn: (problem: string) => void,
): ScaleLabels {
  if (!labels) return DEFAULT_SCALE
  const bounds: Problems = []
  let min = whole(labels, 'min', bounds) ?? DEFAULT_SCALE.min
  let max = whole(labels, 'max', bounds) ?? DEFAULT_SCALE.max
  let factor = whole(labels, 'factor', bounds) ?? DEFAULT_SCALE.factor
  if (factor > 100) {
    bounds.push(`${PREFIX}factor=${factor} is over 100`)
    factor = DEFAULT_SCALE.factor
  }
  if (max === 0) {
    bounds.push(`${PREFIX}max=0 would forbid every replica`)
    max = DEFAULT_SCALE.max
  }
  if (min > max) {
    bounds.push(`${PREFIX}min=${min} is over ${PREFIX}max=${max}`)
    min = Math.min(DEFAULT_SCALE.min, max)
  }
  for (const problem of bounds) warn(`${problem}; using ${JSON.stringify({ min, max, factor })}`)

  // Each of these names its own fallback, since it does not depend on the others.
  const others: Problems = []
  const result: ScaleLabels = {
    min,
    max,
    factor,
    type: scaleType(labels, others),
    zero: flag(labels, 'zero', others),
  }
  const perReplica = target(labels, others)
  if (perReplica !== undefined) result.target = perReplica
  const downWindowMs = duration(labels, 'down-window', 'AUTOSCALE_DOWN_WINDOW', true, others)
  if (downWindowMs !== undefined) result.downWindowMs = downWindowMs
  const zeroDurationMs = duration(labels, 'zero-duration', 'IDLE_AFTER', false, others)
  if (zeroDurationMs !== undefined) result.zeroDurationMs = zeroDurationMs
  for (const problem of others) warn(problem)
  return result
}
