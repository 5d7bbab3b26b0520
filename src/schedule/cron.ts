import { parseDuration } from '../duration'

/*
 * Schedules of the built-in cron-connector: a function annotated `topic: cron-function` runs at the
 * slots of its `schedule` annotation. The syntax is the OpenFaaS cron-connector's, which is
 * robfig/cron's standard parser: five fields, month and weekday names, `?` for `*`, the `@` descriptors
 * and a `CRON_TZ=` (or `TZ=`) prefix. Beyond it, 7 is also Sunday, as in Vixie cron.
 */

type Source = {
  /** As written, trimmed, with any `CRON_TZ=` prefix. */
  expression: string
  /** The IANA time zone whose wall clock the fields are read on. */
  timezone: string
}

/** A five-field schedule, each field the values it allows, in ascending order. */
export type CronSchedule = Source & {
  kind: 'cron'
  minute: readonly number[]
  hour: readonly number[]
  dayOfMonth: readonly number[]
  month: readonly number[]
  /** 0 is Sunday; a 7 in the expression is read as 0. */
  dayOfWeek: readonly number[]
  /** Both day fields are restricted, so a day matches if either does (Vixie cron's rule). */
  eitherDay: boolean
}

/** `@every <duration>`: a fixed period, in whole minutes. */
export type EverySchedule = Source & { kind: 'every'; everyMs: number }

export type Schedule = CronSchedule | EverySchedule

const MINUTE = 60_000
const DAY = 86_400_000

/**
 * How far ahead nextSlot looks. The longest wait between two matching days is Feb 29 across a
 * century that is not a leap year (2096 to 2104), so 8 years find every slot a schedule has: none in
 * them means none ever (`0 0 30 2 *`).
 */
const HORIZON_YEARS = 8

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC']
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']

type Field = {
  /** As error messages name it. */
  name: string
  /** What `*` covers, and where `a/n` ends. */
  min: number
  max: number
  /** The largest number accepted: day-of-week's 7 is Sunday again, outside what `*` covers. */
  top: number
  /** Names for min, min + 1, ... */
  names?: readonly string[]
}

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59, top: 59 },
  { name: 'hour', min: 0, max: 23, top: 23 },
  { name: 'day-of-month', min: 1, max: 31, top: 31 },
  { name: 'month', min: 1, max: 12, top: 12, names: MONTHS },
  { name: 'day-of-week', min: 0, max: 6, top: 7, names: DAYS },
]

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
}

type Problem = { error: string }

// One item of a list: `*` or `?`, a value, or a range, each with an optional step.
const ITEM = /^(?:([*?])|([^-/]+)(?:-([^-/]+))?)(?:\/([^/]*))?$/

function value(token: string, field: Field): number | Problem {
  if (/^\d+$/.test(token)) {
    const number = Number(token)
    if (number >= field.min && number <= field.top) return number
    return { error: `${field.name} field "${token}" is out of range ${field.min}-${field.top}` }
  }
  const index = field.names?.indexOf(token.toUpperCase()) ?? -1
  if (index >= 0) return field.min + index
  const names = field.names ? ` or a name (${field.names[0]}-${field.names.at(-1)})` : ''
  return { error: `${field.name} field "${token}" is not a number${names}` }
}

/** The values a field allows, ascending, and whether it is unrestricted: `*` or `?`, with no step above 1. */
type Parsed = { values: number[]; any: boolean }

function parseField(text: string, field: Field): Parsed | Problem {
  const values = new Set<number>()
  let any = false
  for (const item of text.split(',')) {
    if (item === '') return { error: `${field.name} field "${text}" has an empty list item` }
    const match = ITEM.exec(item)
    if (!match) return { error: `${field.name} field "${item}" is not a number, a range or a step` }
    const [, wildcard, low, high, stepText] = match
    let step = 1
    if (stepText !== undefined) {
      step = /^\d+$/.test(stepText) ? Number(stepText) : 0
      if (step < 1)
        return {
          error: `${field.name} field "${item}" has step "${stepText}"; a step is a whole number from 1`,
        }
    }
    let start = field.min
    let end = field.max
    if (wildcard) {
      // robfig/cron's reading: `*/2` in a day field restricts it, so the either-day rule applies.
      any ||= step === 1
    } else {
      const first = value(low ?? '', field)
      if (typeof first !== 'number') return first
      // A lone value is itself; `a/n` runs from a to the field's end.
      let last: number | Problem = first
      if (high !== undefined) last = value(high, field)
      else if (stepText !== undefined) last = Math.max(first, field.max)
      if (typeof last !== 'number') return last
      if (first > last)
        return { error: `${field.name} field "${item}" runs backwards; ranges do not wrap around` }
      start = first
      end = last
    }
    for (let v = start; v <= end; v += step) values.add(v)
  }
  return { values: [...values].sort((a, b) => a - b), any }
}

function parseFields(text: string, source: Source): CronSchedule | Problem {
  const texts = text === '' ? [] : text.split(/\s+/)
  if (texts.length !== FIELDS.length)
    return {
      error: `expected 5 fields (minute hour day-of-month month day-of-week), got ${texts.length}`,
    }
  const parsed: Parsed[] = []
  for (const [i, field] of FIELDS.entries()) {
    const result = parseField(texts[i] ?? '', field)
    if ('error' in result) return result
    parsed.push(result)
  }
  // Five, by the count above.
  const [minute, hour, dayOfMonth, month, dayOfWeek] = parsed as [Parsed, Parsed, Parsed, Parsed, Parsed]
  return {
    ...source,
    kind: 'cron',
    minute: minute.values,
    hour: hour.values,
    dayOfMonth: dayOfMonth.values,
    month: month.values,
    dayOfWeek: [...new Set(dayOfWeek.values.map((day) => day % 7))].sort((a, b) => a - b),
    eitherDay: !dayOfMonth.any && !dayOfWeek.any,
  }
}

function parseEvery(text: string, source: Source): EverySchedule | Problem {
  if (text === '') return { error: '@every needs a duration, such as @every 5m' }
  // A bare number is seconds to parseDuration (OpenFaaS settings); Go's durations, as here, need a unit.
  const ms = /^[\d.]+$/.test(text) ? undefined : parseDuration(text)
  if (ms === undefined) return { error: `@every "${text}" is not a duration such as 5m or 1h30m` }
  const minutes = ms / MINUTE
  if (minutes < 1) return { error: `@every ${text} is less than a minute` }
  // Tolerance for decimal fractions (`1.1h`), which binary floating point cannot hold exactly.
  if (Math.abs(minutes - Math.round(minutes)) > 1e-9)
    return { error: `@every ${text} is not a whole number of minutes` }
  return { ...source, kind: 'every', everyMs: Math.round(minutes) * MINUTE }
}

// Building a formatter costs far more than using one, and every slot needs several.
const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(zone: string): Intl.DateTimeFormat | undefined {
  let format = formatters.get(zone)
  if (format) return format
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
  } catch {
    return undefined // a RangeError: not a zone Intl knows
  }
  formatters.set(zone, format)
  return format
}

/** How far `zone`'s wall clock is ahead of UTC at `t`, in ms. */
function offsetAt(zone: string, t: number): number {
  if (zone === 'UTC') return 0
  const parts = formatter(zone)?.formatToParts(t) ?? []
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value)
  const wall = Date.UTC(
    part('year'),
    part('month') - 1,
    part('day'),
    part('hour'),
    part('minute'),
    part('second'),
  )
  return wall - Math.floor(t / 1000) * 1000
}

/**
 * The first instant `zone`'s wall clock reads `wall` (a wall-clock time written as if it were UTC), or
 * undefined if it never does, skipped by a change to summer time. A time repeated by the change back
 * has two; the first is the one that counts, so each wall-clock slot runs once.
 */
function firstInstant(zone: string, wall: number): number | undefined {
  // Offsets stay within ±14 h, so a day either side of `wall` brackets the instant, and zones change
  // offset at most once in those two days: the instant is in one of the two offsets or does not exist.
  const before = offsetAt(zone, wall - DAY)
  const after = offsetAt(zone, wall + DAY)
  // The larger offset gives the earlier instant.
  for (const offset of new Set([Math.max(before, after), Math.min(before, after)])) {
    if (offsetAt(zone, wall - offset) === offset) return wall - offset
  }
  return undefined
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

function dayMatches(s: CronSchedule, year: number, month: number, day: number): boolean {
  const byDate = s.dayOfMonth.includes(day)
  const byWeekday = s.dayOfWeek.includes(new Date(Date.UTC(year, month - 1, day)).getUTCDay())
  return s.eitherDay ? byDate || byWeekday : byDate && byWeekday
}

/** The first day from `from` on in the month that the day fields match. */
function nextDay(s: CronSchedule, year: number, month: number, from: number): number | undefined {
  const last = daysInMonth(year, month)
  for (let day = from; day <= last; day++) if (dayMatches(s, year, month, day)) return day
  return undefined
}

function atLeast(values: readonly number[], from: number): number | undefined {
  return values.find((v) => v >= from)
}

/**
 * `wall` if the fields match that wall-clock minute; else the start of the first month, day, hour or
 * minute after it that might. Date.UTC carries over: day 32 is the next month's first, hour 24 the
 * next day's midnight.
 */
function skipTo(s: CronSchedule, wall: number): number {
  const at = new Date(wall)
  const [year, month, day, hour] = [at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate(), at.getUTCHours()]
  const m = atLeast(s.month, month + 1)
  if (m === undefined) return Date.UTC(year + 1, 0)
  if (m > month + 1) return Date.UTC(year, m - 1)
  const d = nextDay(s, year, month + 1, day)
  if (d === undefined) return Date.UTC(year, month + 1)
  if (d > day) return Date.UTC(year, month, d)
  const h = atLeast(s.hour, hour)
  if (h === undefined) return Date.UTC(year, month, day + 1)
  if (h > hour) return Date.UTC(year, month, day, h)
  const mi = atLeast(s.minute, at.getUTCMinutes())
  if (mi === undefined) return Date.UTC(year, month, day, hour + 1)
  return Date.UTC(year, month, day, hour, mi)
}

/**
 * The first wall-clock minute at or after `from` (a whole minute) that the fields match, up to the
 * end of `lastYear`. It skips by fields, largest first, so a search across years takes a few hundred
 * steps, not millions of minutes.
 */
function nextWall(s: CronSchedule, from: number, lastYear: number): number | undefined {
  let wall = from
  for (;;) {
    if (new Date(wall).getUTCFullYear() > lastYear) return undefined
    const next = skipTo(s, wall)
    if (next === wall) return wall
    wall = next
  }
}

/**
 * Parses a schedule: five fields, a descriptor (`@daily`, `@every 5m`), optionally after
 * `CRON_TZ=<zone> `, which overrides `timezone`. A bad one is `{ error }` naming what is wrong.
 */
export function parseSchedule(expression: string, timezone = 'UTC'): Schedule | Problem {
  let text = expression.trim()
  let zone = timezone
  const prefix = /^(?:CRON_TZ|TZ)=(\S*)\s*/.exec(text)
  if (prefix) {
    zone = prefix[1] ?? ''
    text = text.slice(prefix[0].length)
  }
  if (!formatter(zone)) return { error: `unknown time zone "${zone}"` }
  const source: Source = { expression: expression.trim(), timezone: zone }
  if (!text.startsWith('@')) return parseFields(text, source)
  const fields = DESCRIPTORS[text.toLowerCase()]
  if (fields) return parseFields(fields, source)
  const every = /^@every(?:\s+|$)/i.exec(text)
  if (every) return parseEvery(text.slice(every[0].length), source)
  return {
    error: `unknown descriptor "${text}"; expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every <duration>`,
  }
}

/**
 * The first slot strictly after `after` (epoch ms), as epoch ms; undefined if there is none (a date
 * that never comes, such as Feb 30).
 *
 * The fields are matched against the wall clock in the schedule's time zone. A slot whose wall-clock
 * time is skipped by a change to summer time does not run; one whose time comes twice, when the clock
 * goes back, runs once, at the first. That holds for `*` fields too: `0,30 * * * *` in Europe/Berlin
 * has no slots in the repeated hour, an hour and a half from 02:30 CEST to 03:00 CET.
 *
 * `@every` slots are multiples of the period since 1970-01-01T00:00Z, whatever the time zone, so that
 * they neither drift nor depend on when the gateway started or the clocks changed.
 */
export function nextSlot(schedule: Schedule, after: number): number | undefined {
  if (!Number.isFinite(after)) return undefined
  if (schedule.kind === 'every') return (Math.floor(after / schedule.everyMs) + 1) * schedule.everyMs
  const zone = schedule.timezone
  const wallAfter = after + offsetAt(zone, after)
  const lastYear = new Date(wallAfter).getUTCFullYear() + HORIZON_YEARS
  let from = Math.floor(wallAfter / MINUTE) * MINUTE + MINUTE
  for (;;) {
    const wall = nextWall(schedule, from, lastYear)
    if (wall === undefined) return undefined
    const slot = firstInstant(zone, wall)
    // Undefined in a skipped hour; at or before `after` in a repeated one, having run the first time.
    if (slot !== undefined && slot > after) return slot
    from = wall + MINUTE
  }
}

/** Every slot in (from, to], oldest first, at most `limit`. */
export function slotsBetween(schedule: Schedule, from: number, to: number, limit: number): number[] {
  const slots: number[] = []
  let last = from
  while (slots.length < limit) {
    const slot = nextSlot(schedule, last)
    if (slot === undefined || slot > to) break
    slots.push(slot)
    last = slot
  }
  return slots
}
