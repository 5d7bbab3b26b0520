export type IdleInput = {
  now: number
  /** `com.openfaas.scale.zero=true`. */
  zero: boolean
  /** `com.openfaas.scale.zero-duration`, else IDLE_AFTER. */
  afterMs: number
  /** Since when the function has had no invocation (or was deployed, or woken from 0). */
  activeAt: number
  inFlight: number
  current: number
  /** Replicas a firing alert holds the function at (0: none). */
  floor: number
}

export type IdleVerdict =
  | { idle: true; reason: string }
  /** `at`: when the function may be idled, if nothing happens before; absent when that is not up to time. */
  | { idle: false; reason: string; at?: number }

/**
 * The idler: a function labelled `com.openfaas.scale.zero=true` that has had
 * no invocation for its idle duration goes to 0 replicas. Never one that is
 * mid-invocation, nor one a firing alert holds up.
 */
export function idleVerdict(input: IdleInput): IdleVerdict {
  const { now, afterMs } = input
  if (!input.zero) return { idle: false, reason: 'not labelled com.openfaas.scale.zero=true' }
  if (input.current === 0) return { idle: false, reason: 'at 0 replicas' }
  if (input.floor > 0) return { idle: false, reason: `a firing alert holds it at ${input.floor}` }
  const quiet = now - input.activeAt
  const after = `${(afterMs / 1000).toFixed(1)}s`
  if (quiet < afterMs)
    return {
      idle: false,
      reason: `no invocation for ${(quiet / 1000).toFixed(1)}s of ${after}`,
      at: input.activeAt + afterMs,
    }
  // Looked at again on the next tick: the call will end.
  if (input.inFlight > 0)
    return { idle: false, reason: `idle for ${after} but ${input.inFlight} in flight`, at: now }
  return { idle: true, reason: `no invocation for ${(quiet / 1000).toFixed(1)}s (idle after ${after})` }
}
