import { type FunctionRef, parseFunctionKey } from '../function-ref'

// The OpenFaaS cron-connector's annotations, and edgefaas's own beside them.
const TOPIC = 'topic'
const CRON_TOPIC = 'cron-function'
const SCHEDULE = 'schedule'
const TIMEZONE = 'com.edgefaas.schedule.timezone'
const CALLBACK = 'com.edgefaas.schedule.callback-url'
const CATCH_UP = 'com.edgefaas.schedule.catch-up'

export type CatchUp = 'none' | 'last' | 'all'

/** A function's schedule as its annotations give it; `problem` says what is wrong with them, if anything. */
export type ScheduleSpec = {
  fn: FunctionRef
  expression: string
  timezone: string
  callbackUrl?: string
  catchUp: CatchUp
  problem?: string
}

/**
 * The schedule of a function whose `topic` annotation names `cron-function`
 * (a comma-separated list, as connectors read it) and that has a `schedule`;
 * undefined for any other function. A function on the topic without a
 * schedule, or with a catch-up that means nothing, is kept with its problem
 * so that /system/schedules can say so.
 */
export function scheduleOf(
  fn: FunctionRef,
  annotations: Record<string, string> | undefined,
): ScheduleSpec | undefined {
  const topics = (annotations?.[TOPIC] ?? '').split(',').map((t) => t.trim())
  if (!annotations || !topics.includes(CRON_TOPIC)) return undefined
  const expression = annotations[SCHEDULE]?.trim() ?? ''
  const catchUp = annotations[CATCH_UP]?.trim() || 'last'
  const callbackUrl = annotations[CALLBACK]?.trim()
  const spec: ScheduleSpec = {
    fn,
    expression,
    timezone: annotations[TIMEZONE]?.trim() || 'UTC',
    catchUp: catchUp === 'none' || catchUp === 'all' ? catchUp : 'last',
    ...(callbackUrl ? { callbackUrl } : {}),
  }
  if (!expression)
    return { ...spec, problem: `annotated ${TOPIC}: ${CRON_TOPIC} but has no ${SCHEDULE} annotation` }
  if (catchUp !== 'none' && catchUp !== 'last' && catchUp !== 'all')
    return { ...spec, problem: `${CATCH_UP} "${catchUp}" is not none, last or all` }
  return spec
}

/** The schedules among the annotations of every listed function, keyed `name.namespace`. */
export function schedulesOf(annotations: Record<string, Record<string, string>>): ScheduleSpec[] {
  return Object.entries(annotations).flatMap(([key, a]) => scheduleOf(parseFunctionKey(key), a) ?? [])
}
