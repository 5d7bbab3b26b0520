import { badRequest } from './errors.ts'
import type { FunctionSpec } from './schemas.ts'

// The knobs a function sets through its labels and envVars, read and validated once per deploy or
// update so a bad value is a 400 then instead of a surprise on the first invocation.
export type FunctionSettings = {
  // 0 means no limit, as in the classic watchdog.
  execTimeoutMs: number
  // Per replica; Infinity when unset or 0.
  maxInflight: number
  minReplicas: number
}

export const DEFAULT_EXEC_TIMEOUT_MS = 30_000
const MIN_REPLICAS_LABEL = 'com.openfaas.scale.min'

export function readSettings(spec: FunctionSpec): FunctionSettings {
  // The classic watchdog reads exec_timeout from its environment; a label is accepted too.
  const timeout = spec.envVars.exec_timeout ?? spec.labels.exec_timeout
  const execTimeoutMs = timeout === undefined ? DEFAULT_EXEC_TIMEOUT_MS : parseDurationMs(timeout)
  if (execTimeoutMs === undefined) {
    throw badRequest(`invalid exec_timeout "${timeout}": use a Go duration such as 2s or 500ms, or seconds`)
  }
  const inflight = spec.envVars.max_inflight
  const maxInflight = inflight === undefined ? 0 : wholeNumber(inflight)
  if (maxInflight === undefined)
    throw badRequest(`invalid max_inflight "${inflight}": must be a whole number`)
  const min = spec.labels[MIN_REPLICAS_LABEL]
  const minReplicas = min === undefined ? 1 : wholeNumber(min)
  if (minReplicas === undefined || minReplicas > 1000) {
    throw badRequest(`invalid label ${MIN_REPLICAS_LABEL} "${min}": must be a whole number from 0 to 1000`)
  }
  return {
    execTimeoutMs,
    maxInflight: maxInflight === 0 ? Number.POSITIVE_INFINITY : maxInflight,
    minReplicas,
  }
}

function wholeNumber(value: string): number | undefined {
  return /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : undefined
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

// A Go duration ("1m30s", "500ms", "2.5s") or a plain number of seconds, in milliseconds.
export function parseDurationMs(value: string): number | undefined {
  const text = value.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000
  if (!/^(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))*$/.test(text)) {
    return undefined
  }
  let total = 0
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN)
  }
  return Number.isFinite(total) ? total : undefined
}
