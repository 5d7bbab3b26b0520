import type { CatchUp } from './annotations'

// At most this many slots of one function run on one tick, however long the gateway was away.
export const CATCH_UP_LIMIT = 60
// A slot is on time when its tick comes within a minute of it: cron fires once a minute.
const ON_TIME_MS = 60_000

/**
 * Which of the slots that came due since the last tick (`slots`, oldest first)
 * run now, and how many are skipped as missed: every one on time runs; of the
 * late ones, none, the most recent (the default), or all (at most 60).
 */
export function dueSlots(
  slots: readonly number[],
  now: number,
  catchUp: CatchUp,
): { run: number[]; missed: number } {
  const onTime = slots.filter((slot) => now - slot < ON_TIME_MS)
  const late = slots.filter((slot) => now - slot >= ON_TIME_MS)
  const caught =
    catchUp === 'all'
      ? late.slice(-CATCH_UP_LIMIT)
      : catchUp === 'last' && onTime.length === 0
        ? late.slice(-1)
        : []
  const run = [...caught, ...onTime].slice(-CATCH_UP_LIMIT)
  return { run, missed: slots.length - run.length }
}
