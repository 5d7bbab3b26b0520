import type { ScalingState } from './autoscaler'
import type { Replicas } from './sync'

// The deployment's replica-sync loop (src/durable/replica-sync.ts runs it): what it keeps between ticks,
// and when the next tick is due.

export type SyncState = {
  functions: Record<string, Replicas>
  /** When a shard last reported invocations; the loop runs while this is recent. */
  activeAt: number
  syncedAt: number
  faults: string[]
  /** The autoscaler's and idler's memory per function. */
  scaling: ScalingState
  /** Replicas firing AlertManager alerts set, per function: the autoscaler never goes below them. */
  floors: Record<string, number>
  /** When a function needs the next tick even without traffic (a down window, an idle deadline). */
  nextAt: number | undefined
}

/** The loop's state as stored; state stored before the autoscaler existed has no scaling fields, so they start empty. */
export function syncState(stored: Partial<SyncState> | undefined): SyncState {
  return {
    functions: {},
    activeAt: 0,
    syncedAt: 0,
    faults: [],
    scaling: {},
    floors: {},
    nextAt: undefined,
    ...stored,
  }
}

/**
 * When the loop ticks next: every interval while there has been traffic in
 * the last two, and at the next deadline a function set (a down window, an
 * idle deadline). Undefined: the loop stops until traffic or cron.
 */
export function nextTick(state: SyncState, intervalMs: number, now: number): number | undefined {
  const traffic = now - state.activeAt < 2 * intervalMs ? now + intervalMs : undefined
  const next = Math.min(traffic ?? Number.POSITIVE_INFINITY, state.nextAt ?? Number.POSITIVE_INFINITY)
  return Number.isFinite(next) ? next : undefined
}
