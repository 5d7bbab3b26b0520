import type { Config } from '../config'
import type { Bindings } from '../env'
import { parseFunctionKey } from '../function-ref'
import type { Counts } from '../metrics/batch'
import { scaleLabels } from './labels'
import { stateOf } from './objects'
import { type Evaluation, type FunctionScaling, type Plan, plan, settingsOf } from './plan'
import { setReplicas } from './set-replicas'
import type { Replicas } from './sync'

/** The autoscaler's memory, per function (`name.namespace`), kept by the replica sync. */
export type ScalingState = Record<string, FunctionScaling>

export type TickInput = {
  functions: Record<string, Replicas>
  /** Functions whose replicas are last tick's: their namespace could not be listed. */
  stale: string[]
  counts: Counts
  inflight: Record<string, number>
  /** Replicas firing alerts hold functions at. */
  floors: Record<string, number>
}

export type TickResult = {
  scaling: ScalingState
  /** When the next tick is needed even without traffic; undefined when none is. */
  nextAt: number | undefined
}

/**
 * One tick of the autoscaler and the idler over every function the replica
 * sync saw. Each function gets at most one scale call, all made at once; a
 * call the provider refuses is logged, shown on /system/scaling and made
 * again on the next tick, since the function is still not where it should be.
 */
export async function autoscale(
  env: Bindings,
  config: Config,
  input: TickInput,
  previous: ScalingState,
  now = Date.now(),
): Promise<TickResult> {
  const settings = settingsOf(config)
  const stale = new Set(input.stale)
  const asked = await readinessCalls(env, input.functions)
  const plans = Object.entries(input.functions).map(([key, replicas]) => {
    const observed = {
      replicas,
      counts: input.counts,
      inflight: input.inflight,
      stale: stale.has(key),
      floor: input.floors[key] ?? 0,
      asked: asked[key],
    }
    const planned = plan(key, previous[key], observed, settings, now, (problem) => warnOnce(key, problem))
    logVerdict(key, previous[key]?.evaluation, planned.state.evaluation)
    return [key, planned] as const
  })
  // Functions that are gone are forgotten with their state, as the replica sync forgets their gauges.
  const scaling: ScalingState = {}
  await Promise.all(
    plans.map(async ([key, planned]) => {
      scaling[key] = await carryOut(env, config, key, planned, now)
    }),
  )
  const wakes = plans.flatMap(([, planned]) => (planned.nextAt === undefined ? [] : [planned.nextAt]))
  return { scaling, nextAt: wakes.length > 0 ? Math.min(...wakes) : undefined }
}

/**
 * For the functions the idler watches (labelled to idle, with replicas), how
 * many readiness questions their FunctionState has answered: a call that has
 * started but not ended is heard of this way, since counts are flushed when
 * calls end.
 */
async function readinessCalls(
  env: Bindings,
  functions: Record<string, Replicas>,
): Promise<Record<string, number | 'unreachable'>> {
  const watched = Object.entries(functions).filter(
    ([, f]) => f.replicas > 0 && scaleLabels(f.labels, () => {}).zero,
  )
  const calls: Record<string, number | 'unreachable'> = {}
  await Promise.all(
    watched.map(async ([key]) => {
      try {
        calls[key] = (await stateOf(env, key).stats()).calls
      } catch (error) {
        calls[key] = 'unreachable'
        console.warn(`idler: ${key}: cannot ask its state object, not idling it yet:`, String(error))
      }
    }),
  )
  return calls
}

async function carryOut(
  env: Bindings,
  config: Config,
  key: string,
  planned: Plan,
  now: number,
): Promise<FunctionScaling> {
  const { state, change } = planned
  const evaluation = state.evaluation
  if (!change || !evaluation) return state
  const fn = parseFunctionKey(key)
  const from = evaluation.replicas
  const decision = {
    at: now,
    action: change.action,
    from,
    to: change.to,
    reason: evaluation.reason,
    load: evaluation.load,
    target: evaluation.target,
  }
  const by = change.action === 'idle' ? 'idler' : 'api'
  const result = await setReplicas(env, config, fn, change.to, by, state.samples.at(-1)?.started).catch(
    (error: unknown) => ({ kind: 'refused' as const, fault: { message: String(error) } }),
  )
  const refused =
    result.kind === 'refused'
      ? result.fault.message
      : result.kind === 'missing'
        ? 'the function is gone'
        : undefined
  if (refused) {
    console.warn(
      `${who(change.action)}: ${key} ${from} -> ${change.to} failed, tried again next tick: ${refused}`,
    )
    return { ...state, decision: { ...decision, error: refused } }
  }
  // A drain has not scaled the function yet: the provider's count changes when it closes, seen on a later tick.
  return { ...state, lastSeen: result.kind === 'draining' ? from : change.to, decision }
}

const who = (action: string) => (action === 'idle' ? 'idler' : 'autoscaler')

const number = (n: number | undefined) => (n === undefined ? 'unmeasured' : String(Number(n.toFixed(2))))

/** One line with every input of the decision, written when it differs from the function's last one. */
function logVerdict(key: string, before: Evaluation | undefined, after: Evaluation | undefined): void {
  if (!after) return
  if (
    before &&
    before.action === after.action &&
    before.kind === after.kind &&
    before.desired === after.desired
  )
    return
  const line =
    `${who(after.action)}: ${key} ${after.action} ${after.replicas} -> ${after.desired} ` +
    `(load ${number(after.load)} ${after.type === 'capacity' ? 'in flight' : 'rps'}, target ${number(after.target)}, ` +
    `min ${after.min}, max ${after.max}, in flight ${after.inFlight}): ${after.reason}`
  console.log(line)
}

// A bad label is read every tick; saying so once per function and problem is enough.
const warned = new Set<string>()
function warnOnce(key: string, problem: string): void {
  const id = `${key}: ${problem}`
  if (warned.has(id)) return
  if (warned.size > 10_000) warned.clear()
  warned.add(id)
  console.warn(id)
}
