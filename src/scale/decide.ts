import type { ScaleType } from './labels'

/** What the load asked for at one tick. */
export type Recommendation = { at: number; replicas: number }

/**
 * OpenFaaS's target proportion: replicas are sized for 90 % of the target, so
 * a function running steadily at its target has some headroom.
 */
export const TARGET_PROPORTION = 0.9

export type AutoscaleInput = {
  now: number
  /** Requests per second (rps) or in flight (capacity); undefined until there is a measurement. */
  load: number | undefined
  /** The provider's desired replicas now. */
  current: number
  /** The replicas this scaler last saw or set; different from `current` when someone else changed them. */
  lastSeen: number | undefined
  type: ScaleType
  min: number
  max: number
  target: number
  downWindowMs: number
  /** Replicas an AlertManager alert set while it fires: never scaled below (0: no alert). */
  floor: number
  /** The recommendations of the down window, highest first (see `remember`). */
  window: Recommendation[]
}

export type Verdict = {
  action: 'up' | 'down' | 'hold' | 'off'
  /** Replicas the scaler sets (up, down) or keeps (hold, off). */
  desired: number
  /** What the load alone asks for now, clamped to [max(1, min), max]; undefined when unmeasured or off. */
  recommended: number | undefined
  /** A short, stable name for the reason, so a repeated verdict can be told from a new one. */
  kind: string
  reason: string
  window: Recommendation[]
}

/**
 * Adds a recommendation to the window and drops what it makes irrelevant:
 * entries older than the window, and older entries no higher than the new one
 * (they expire first and can never be the window's highest again). The window
 * stays ordered highest first and holds at most one entry per replica count.
 */
export function remember(
  window: Recommendation[],
  entry: Recommendation,
  downWindowMs: number,
): Recommendation[] {
  const kept = window.filter((r) => r.at > entry.at - downWindowMs && r.replicas > entry.replicas)
  kept.push(entry)
  return kept
}

const floorText = (floor: number) => `the alert's floor is ${floor}`

const format = (n: number) => String(Number(n.toFixed(2)))

/**
 * One autoscaling decision: desired = ceil(load / (target × 0.9)), clamped to
 * [max(1, min), max] (going to 0 is the idler's, never the autoscaler's).
 * Up at once; down only to the highest replica count the load asked for
 * during the down window, so a dip shorter than the window changes nothing.
 * Replicas set by someone else (scale-function, a wake from zero) count as
 * asked for when they are first seen, and are held for a window too. An
 * alert's floor is never gone below.
 */
export function decide(input: AutoscaleInput): Verdict {
  const { now, current, min, max, downWindowMs } = input
  const off = (kind: string, reason: string): Verdict => ({
    action: 'off',
    desired: current,
    recommended: undefined,
    kind,
    reason,
    window: [],
  })
  if (input.type === 'off') return off('type-off', 'com.openfaas.scale.type=off')
  if (min === max) return off('min-max', `min == max (${min})`)

  const lower = Math.max(1, min)
  const floor = Math.min(input.floor, max)
  let window = input.window.filter((r) => r.at > now - downWindowMs)
  if (input.lastSeen !== current && current > 0)
    window = remember(window, { at: now, replicas: current }, downWindowMs)
  const hold = (kind: string, reason: string, recommended?: number): Verdict => ({
    action: 'hold',
    desired: current,
    recommended,
    kind,
    reason,
    window,
  })
  if (current === 0) return hold('at-zero', 'at 0 replicas: the next invocation wakes it')
  if (input.load === undefined) {
    // The alert's floor does not depend on the load.
    if (floor > current)
      return {
        action: 'up',
        desired: floor,
        recommended: undefined,
        kind: 'up',
        reason: floorText(floor),
        window,
      }
    return hold('unmeasured', 'load not measured yet')
  }

  const raw = Math.ceil(input.load / (input.target * TARGET_PROPORTION))
  const recommended = Math.min(Math.max(raw, lower), max)
  window = remember(window, { at: now, replicas: recommended }, downWindowMs)
  const loadText = `load ${format(input.load)} at target ${format(input.target)} asks for ${raw}`
  const need = Math.max(recommended, floor)
  if (need > current) {
    const why = recommended >= floor ? loadText : floorText(floor)
    return { action: 'up', desired: need, recommended, kind: 'up', reason: why, window }
  }
  // The window's first entry is its highest: what the load asked for at some point within it.
  const highest = Math.max(window[0]?.replicas ?? recommended, floor)
  if (highest < current) {
    const why =
      highest === floor && floor > recommended
        ? `${loadText}; held at the alert's floor ${floor}`
        : `${loadText}; no more than ${highest} asked for during the ${format(downWindowMs / 1000)}s down window`
    return { action: 'down', desired: highest, recommended, kind: 'down', reason: why, window }
  }
  if (current > need) {
    const holding = window.filter((r) => r.replicas >= current).at(-1)
    const left = holding ? holding.at + downWindowMs - now : 0
    return hold('down-window', `${loadText}; down window ends in ${format(left / 1000)}s`, recommended)
  }
  if (floor === current && floor > recommended)
    return hold('alert-floor', `${loadText}; held at the alert's floor ${floor}`, recommended)
  return hold('at-target', loadText, recommended)
}
