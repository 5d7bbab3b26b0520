import { type Config, MAX_ATTEMPTS_LIMIT } from '../config'
import type { Bindings } from '../env'
import { type FunctionRef, functionKey } from '../function-ref'
import { lookup } from '../scale/existence'

/** Function answers worth another run: the ones OpenFaaS Pro retries, and 503 (no replica yet). */
const RETRYABLE = new Set([408, 429, 500, 502, 503, 504])

export const isRetryable = (status: number): boolean => RETRYABLE.has(status)

// The longest a queue can delay a message.
const MAX_DELAY_S = 43_200

/**
 * Seconds until the next try after `failures` failed ones: exponential from
 * ASYNC_RETRY_INITIAL, capped at ASYNC_RETRY_MAX_WAIT, with "equal jitter"
 * (between half and all of it) so that calls failing together do not all
 * come back together. A `Retry-After` the function or receiver sent is a
 * floor: we never come back sooner than asked.
 */
export function backoffSeconds(config: Config, failures: number, retryAfter?: string | null): number {
  const { retryInitialMs, retryMaxWaitMs } = config.async
  const base = Math.min(retryMaxWaitMs, retryInitialMs * 2 ** Math.max(0, failures - 1))
  const jittered = base / 2 + Math.random() * (base / 2)
  const floor = retryAfterMs(retryAfter) ?? 0
  return Math.min(MAX_DELAY_S, Math.ceil(Math.max(jittered, floor) / 1000))
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds from now; undefined if absent or unreadable. */
export function retryAfterMs(value: string | null | undefined): number | undefined {
  if (!value) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  // An HTTP date starts with its day name; anything else Date.parse might accept ("-5") is not one.
  if (!/^[A-Za-z]{3}, /.test(text)) return undefined
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now())
}

export const ATTEMPTS_LABEL = 'com.openfaas.retry.attempts'

const policies = new Map<string, { attempts: number; at: number }>()
const MAX_POLICIES = 10_000

/**
 * How many runs a call of `fn` gets: its `com.openfaas.retry.attempts` label
 * (1 to 40) or ASYNC_MAX_ATTEMPTS. Labels are read through the function's
 * Durable Object and remembered in the isolate for REPLICA_CACHE_TTL.
 */
export async function maxAttempts(env: Bindings, config: Config, fn: FunctionRef): Promise<number> {
  const key = functionKey(fn)
  const known = policies.get(key)
  if (known && Date.now() - known.at <= config.replicaCacheTtlMs) return known.attempts
  const found = await lookup(env, config, fn).catch(() => undefined)
  const label = found?.kind === 'found' ? found.labels[ATTEMPTS_LABEL] : undefined
  const attempts = parseAttempts(label) ?? config.async.maxAttempts
  if (label !== undefined && parseAttempts(label) === undefined)
    console.warn(
      `${key}: ignoring ${ATTEMPTS_LABEL}="${label}": not a whole number from 1 to ${MAX_ATTEMPTS_LIMIT}`,
    )
  if (policies.size >= MAX_POLICIES && !policies.has(key))
    policies.delete(policies.keys().next().value as string)
  policies.set(key, { attempts, at: Date.now() })
  return attempts
}

function parseAttempts(label: string | undefined): number | undefined {
  if (label === undefined || !/^\d+$/.test(label.trim())) return undefined
  const n = Number(label.trim())
  return n >= 1 && n <= MAX_ATTEMPTS_LIMIT ? n : undefined
}
