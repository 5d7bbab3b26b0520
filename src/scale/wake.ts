import type { Config } from '../config'
import { scaleFunction } from '../forward/provider-api'
import { type FunctionRef, functionKey } from '../function-ref'
import { scaleLabels } from './labels'
import type { Readiness, Seen } from './readiness'

/** How the wake reads the provider: the function's object refreshes what it has seen. */
export type Refresh = (config: Config) => Promise<Seen | { fault: unknown }>

/**
 * Wakes a function from zero: one scale request (to its minimum, at least 1)
 * unless the function already has desired replicas, then polls until a replica
 * is available or `started` + SCALE_FROM_ZERO_TIMEOUT passes. A wake resumed
 * after a restart passes its original `started`, so the deadline holds.
 */
export async function wakeFromZero(
  fn: FunctionRef,
  config: Config,
  seen: Extract<Seen, { kind: 'found' }>,
  started: number,
  refresh: Refresh,
): Promise<Readiness> {
  const key = functionKey(fn)
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
    const latest = await refresh(withinWait(config, started))
    if ('fault' in latest) continue
    if (latest.kind === 'missing') return { kind: 'missing' }
    if (latest.available > 0) {
      const waitedMs = Date.now() - started
      console.log(`scale from zero: ${key} ready after ${waitedMs / 1000}s`)
      return { kind: 'ready', waitedMs }
    }
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
