import type { Config } from '../config'
import type { Bindings } from '../env'
import { functionKey } from '../function-ref'
import type { Background } from '../scale/from-zero'
import type { ScheduleSpec } from './annotations'
import { nextSlot, parseSchedule, slotsBetween } from './cron'
import { dueSlots } from './due'
import { type Claim, claimFor, enqueueRun } from './run'

// How far back a tick looks for slots it missed: what a gateway away longer missed is not counted.
const LOOK_BACK_MS = 24 * 3_600_000
const LOOK_BACK_SLOTS = 24 * 60 + 1

/** One scheduled function as the book keeps it between ticks. */
export type Entry = {
  spec: ScheduleSpec
  /** Slots up to here have been decided: run or counted missed. Slots before a function was first seen never run. */
  decidedUntil: number
  missed: number
  /** Claimed slots whose call is not on the queue yet (the send failed): sent again, under the same ids, next tick. */
  pending: Claim[]
  last?: Claim & { error?: string }
}

export type Book = Record<string, Entry>

/** Where a book keeps itself: the Scheduler's storage. */
export type BookStorage = { load(): Book; save(book: Book): void }

/**
 * The schedules of every scheduled function, and what has run: each due slot
 * is claimed here, in the deployment's one Scheduler, before its call is put
 * on the queue, so a slot runs once however many cron events and isolates
 * ask (src/durable/scheduler.ts is the object around it).
 */
export class ScheduleBook {
  #book: Book
  #ticking: Promise<void> = Promise.resolve()
  readonly #storage: BookStorage

  constructor(storage: BookStorage) {
    this.#storage = storage
    this.#book = storage.load()
  }

  /**
   * The schedules the replica sync found. A function seen for the first time
   * starts at `now`; one that is gone is forgotten, unless its namespace could
   * not be listed (`stale`).
   */
  update(specs: readonly ScheduleSpec[], stale: readonly string[], now: number): void {
    const next: Book = {}
    for (const key of stale) if (this.#book[key]) next[key] = this.#book[key] as Entry
    for (const spec of specs) {
      const key = functionKey(spec.fn)
      const known = this.#book[key]
      const changed =
        known && (known.spec.expression !== spec.expression || known.spec.timezone !== spec.timezone)
      // A new or changed schedule starts now: slots of an old expression are not owed.
      next[key] =
        known && !changed
          ? { ...known, spec }
          : { spec, decidedUntil: now, missed: 0, pending: [], ...(known?.last ? { last: known.last } : {}) }
    }
    this.#book = next
    this.#storage.save(next)
  }

  /** The cron tick at `now`: claims every due slot, then puts each claimed call on the queue. One tick at a time. */
  tick(env: Bindings, config: Config, background: Background, now: number): Promise<void> {
    const run = this.#ticking.then(() => this.#tick(env, config, background, now))
    this.#ticking = run.catch(() => {})
    return run
  }

  async #tick(env: Bindings, config: Config, background: Background, now: number): Promise<void> {
    for (const [key, entry] of Object.entries(this.#book)) {
      if (entry.spec.problem || now <= entry.decidedUntil) continue
      const schedule = parseSchedule(entry.spec.expression, entry.spec.timezone)
      if ('error' in schedule) continue
      const from = Math.max(entry.decidedUntil, now - LOOK_BACK_MS)
      const slots = slotsBetween(schedule, from, now, LOOK_BACK_SLOTS)
      const { run, missed } = dueSlots(slots, now, entry.spec.catchUp)
      if (missed > 0)
        console.warn(`schedule: ${key} missed ${missed} slot(s); catch-up ${entry.spec.catchUp}`)
      this.#book[key] = {
        ...entry,
        decidedUntil: now,
        missed: entry.missed + missed,
        pending: [...entry.pending, ...run.map((slot) => claimFor(entry.spec.fn, slot))],
      }
    }
    // Claimed before any call is made: a tick that dies now leaves pending claims, not runs twice.
    this.#storage.save(this.#book)
    for (const [key, entry] of Object.entries(this.#book)) {
      for (const claim of [...entry.pending]) {
        const sent = await enqueueRun(env, config, background, entry.spec, claim)
        const current = this.#book[key]
        if (!current) break
        // A slot the queue refused for now is sent again next tick; one that can never be sent is given up.
        if (sent.ok || !sent.again) current.pending = current.pending.filter((p) => p.callId !== claim.callId)
        // A slot that was not sent is in the call log already (src/schedule/run.ts), and in the report.
        current.last = sent.ok ? claim : { ...claim, error: sent.error }
      }
    }
    this.#storage.save(this.#book)
  }

  /** Every scheduled function with its next slot, for GET /system/schedules. */
  report(now: number): ScheduleView[] {
    return Object.entries(this.#book)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, entry]) => {
        const schedule = entry.spec.problem
          ? undefined
          : parseSchedule(entry.spec.expression, entry.spec.timezone)
        const error = entry.spec.problem ?? (schedule && 'error' in schedule ? schedule.error : undefined)
        const next =
          schedule && !('error' in schedule)
            ? nextSlot(schedule, Math.max(now, entry.decidedUntil))
            : undefined
        return {
          name: entry.spec.fn.name,
          namespace: entry.spec.fn.namespace,
          schedule: entry.spec.expression,
          // A CRON_TZ= prefix in the expression overrides the annotation: show the zone in force.
          timezone: schedule && !('error' in schedule) ? schedule.timezone : entry.spec.timezone,
          catchUp: entry.spec.catchUp,
          nextSlot: next === undefined ? null : new Date(next).toISOString(),
          lastSlot: entry.last ? new Date(entry.last.slot).toISOString() : null,
          lastCall: entry.last
            ? { callId: entry.last.callId, nonce: entry.last.nonce, error: entry.last.error ?? null }
            : null,
          missed: entry.missed,
          pending: entry.pending.length,
          error: error ?? null,
        }
      })
  }
}

export type ScheduleView = {
  name: string
  namespace: string
  schedule: string
  timezone: string
  catchUp: string
  nextSlot: string | null
  lastSlot: string | null
  lastCall: { callId: string; nonce: string; error: string | null } | null
  missed: number
  pending: number
  error: string | null
}
