import { parseDuration } from '../../src/duration.ts'
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
  const timeout = spec.envVars?.exec_timeout ?? spec.labels?.exec_timeout
  const execTimeoutMs = timeout === undefined ? DEFAULT_EXEC_TIMEOUT_MS : parseDuration(timeout)
  if (execTimeoutMs === undefined) {
    throw badRequest(`invalid exec_timeout "${timeout}": use a Go duration such as 2s or 500ms, or seconds`)
  }
  const inflight = spec.envVars?.max_inflight
  const maxInflight = inflight === undefined ? 0 : wholeNumber(inflight)
  if (maxInflight === undefined)
    throw badRequest(`invalid max_inflight "${inflight}": must be a whole number`)
  const min = spec.labels?.[MIN_REPLICAS_LABEL]
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
