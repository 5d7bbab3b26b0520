import type { Bindings } from '../env'

/** The deployment's one Scheduler. */
export function scheduler(env: Bindings) {
  return env.SCHEDULER.get(env.SCHEDULER.idFromName('deployment'))
}
