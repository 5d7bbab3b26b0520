import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type CronSchedule,
  nextSlot,
  parseSchedule,
  type Schedule,
  slotsBetween,
} from '../../src/schedule/cron'

// Cron schedules of the built-in cron-connector. Expected times are worked out by hand, written with
// the zone's offset; a minute-by-minute reference below checks the near ones, and random ones.

const MINUTE = 60_000
const HOUR = 3_600_000

const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString())

function parsed(expression: string, timezone?: string): Schedule {
  const schedule = parseSchedule(expression, timezone)
  if ('error' in schedule) throw new Error(`${expression}: ${schedule.error}`)
  return schedule
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const clocks = new Map<string, Intl.DateTimeFormat>()

/** The wall clock in `zone` at `t`, read from Intl directly, apart from the code under test. */
function wallClock(zone: string, t: number) {
  let clock = clocks.get(zone)
  if (!clock) {
    clock = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    })
    clocks.set(zone, clock)
  }
  const parts = Object.fromEntries(clock.formatToParts(t).map((p) => [p.type, p.value]))
  return {
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: WEEKDAYS.indexOf(parts.weekday ?? ''),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    key: `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`,
  }
}

function matches(s: CronSchedule, w: ReturnType<typeof wallClock>): boolean {
  const byDate = s.dayOfMonth.includes(w.day)
  const byWeekday = s.dayOfWeek.includes(w.weekday)
  return (
    s.minute.includes(w.minute) &&
    s.hour.includes(w.hour) &&
    s.month.includes(w.month) &&
    (s.eitherDay ? byDate || byWeekday : byDate && byWeekday)
  )
}

/**
 * The reference: every whole minute after `after` up to `until`, oldest first, whose wall clock
 * matches and did not already read the same 30, 60 or 120 minutes earlier (a time repeated when the
 * clock goes back runs once). The test zones' offsets are whole minutes and change by those amounts.
 */
function bruteSlots(s: CronSchedule, after: number, until: number, limit = 1): number[] {
  const slots: number[] = []
  for (
    let t = Math.floor(after / MINUTE) * MINUTE + MINUTE;
    t <= until && slots.length < limit;
    t += MINUTE
  ) {
    const wall = wallClock(s.timezone, t)
    if (!matches(s, wall)) continue
    if ([30, 60, 120].some((m) => wallClock(s.timezone, t - m * MINUTE).key === wall.key)) continue
    slots.push(t)
  }
  return slots
}

// expression, time zone, after, the next slot (undefined: never)
type Case = [string, string, string, string | undefined]

const FIELD_SYNTAX: Case[] = [
  ['* * * * *', 'UTC', '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z'],
  ['* * * * *', 'UTC', '2026-01-01T00:00:30.500Z', '2026-01-01T00:01:00Z'],
  ['*/5 * * * *', 'UTC', '2026-01-01T00:02:00Z', '2026-01-01T00:05:00Z'],
  ['*/5 * * * *', 'UTC', '2026-01-01T00:05:00Z', '2026-01-01T00:10:00Z'],
  ['*/5 * * * *', 'UTC', '2026-01-01T23:57:00Z', '2026-01-02T00:00:00Z'],
  ['5 * * * *', 'UTC', '2026-01-01T00:00:00Z', '2026-01-01T00:05:00Z'],
  ['5 * * * *', 'UTC', '2026-01-01T00:05:00Z', '2026-01-01T01:05:00Z'],
  ['30 9 * * *', 'UTC', '2026-01-01T00:00:00Z', '2026-01-01T09:30:00Z'],
  ['30 9 * * *', 'UTC', '2026-01-01T09:30:00Z', '2026-01-02T09:30:00Z'],
  ['15,45 * * * *', 'UTC', '2026-01-01T00:20:00Z', '2026-01-01T00:45:00Z'],
  ['15,45 * * * *', 'UTC', '2026-01-01T00:50:00Z', '2026-01-01T01:15:00Z'],
  ['10-12 * * * *', 'UTC', '2026-01-01T00:11:00Z', '2026-01-01T00:12:00Z'],
  ['10-12 * * * *', 'UTC', '2026-01-01T00:12:00Z', '2026-01-01T01:10:00Z'],
  ['10-30/10 * * * *', 'UTC', '2026-01-01T00:10:00Z', '2026-01-01T00:20:00Z'],
  ['10-30/10 * * * *', 'UTC', '2026-01-01T00:30:00Z', '2026-01-01T01:10:00Z'],
  ['50/5 * * * *', 'UTC', '2026-01-01T00:56:00Z', '2026-01-01T01:50:00Z'], // 50 and 55
  ['0 */6 * * *', 'UTC', '2026-01-01T01:00:00Z', '2026-01-01T06:00:00Z'],
  ['0 9-17/4 * * *', 'UTC', '2026-01-01T14:00:00Z', '2026-01-01T17:00:00Z'], // 9, 13, 17
  ['0 9-17/4 * * *', 'UTC', '2026-01-01T17:00:00Z', '2026-01-02T09:00:00Z'],
  ['0 0,12 1,15 * *', 'UTC', '2026-01-01T12:00:00Z', '2026-01-15T00:00:00Z'],
  ['0 0 1 * *', 'UTC', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'],
  ['0 0 1 JAN *', 'UTC', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'],
  ['0 0 1 jan-Mar/2 *', 'UTC', '2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z'], // Jan, Mar
  ['0 0 1 2,apr,6 *', 'UTC', '2026-02-01T00:00:00Z', '2026-04-01T00:00:00Z'],
  ['0 0 1 10/1 *', 'UTC', '2026-01-01T00:00:00Z', '2026-10-01T00:00:00Z'],
  ['0 0 1 ? *', 'UTC', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'],
  ['0\t9  * * *', 'UTC', '2026-01-01T00:00:00Z', '2026-01-01T09:00:00Z'], // any whitespace between fields
]

// 2026-01-01 is a Thursday.
const WEEKDAY: Case[] = [
  ['0 0 * * MON', 'UTC', '2026-01-01T00:00:00Z', '2026-01-05T00:00:00Z'],
  ['0 0 * * mon-fri', 'UTC', '2026-01-02T00:00:00Z', '2026-01-05T00:00:00Z'],
  ['0 0 * * 0', 'UTC', '2026-01-01T00:00:00Z', '2026-01-04T00:00:00Z'],
  ['0 0 * * 7', 'UTC', '2026-01-01T00:00:00Z', '2026-01-04T00:00:00Z'],
  ['0 0 * * Sun', 'UTC', '2026-01-01T00:00:00Z', '2026-01-04T00:00:00Z'],
  ['0 0 * * 5-7', 'UTC', '2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z'],
  ['0 0 * * 5-7', 'UTC', '2026-01-03T00:00:00Z', '2026-01-04T00:00:00Z'], // 7 is Sunday
  ['0 0 * * */2', 'UTC', '2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z'], // Sun, Tue, Thu, Sat
  ['0 0 * * 1/2', 'UTC', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'], // Mon, Wed, Fri
  ['0 0 * * FRI/1', 'UTC', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'], // Fri, Sat
  ['0 0 * * SAT,sun', 'UTC', '2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z'],
]

// Both day fields restricted: either matches. One of them `*`: the other alone decides.
const EITHER_DAY: Case[] = [
  ['0 0 13 * FRI', 'UTC', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'], // a Friday
  ['0 0 13 * FRI', 'UTC', '2026-01-09T00:00:00Z', '2026-01-13T00:00:00Z'], // the 13th, a Tuesday
  ['0 0 13 * *', 'UTC', '2026-01-01T00:00:00Z', '2026-01-13T00:00:00Z'],
  ['0 0 * * FRI', 'UTC', '2026-01-09T00:00:00Z', '2026-01-16T00:00:00Z'],
  ['0 0 */2 * MON', 'UTC', '2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z'], // `*/2` restricts: the 3rd
  ['0 0 1-31 * MON', 'UTC', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'], // so does 1-31
  ['0 0 ? * MON', 'UTC', '2026-01-01T00:00:00Z', '2026-01-05T00:00:00Z'], // `?` does not
  ['0 0 */1 * MON', 'UTC', '2026-01-01T00:00:00Z', '2026-01-05T00:00:00Z'], // nor `*/1`
]

const MONTH_ENDS: Case[] = [
  ['0 0 31 * *', 'UTC', '2026-01-31T00:00:00Z', '2026-03-31T00:00:00Z'], // no Feb 31
  ['0 0 31 * *', 'UTC', '2026-03-31T00:00:00Z', '2026-05-31T00:00:00Z'], // no Apr 31
  ['0 0 30 * *', 'UTC', '2026-01-30T00:00:00Z', '2026-03-30T00:00:00Z'],
  ['0 0 28-31 2 *', 'UTC', '2026-02-28T00:00:00Z', '2027-02-28T00:00:00Z'],
  ['0 0 29 2 *', 'UTC', '2026-01-01T00:00:00Z', '2028-02-29T00:00:00Z'],
  ['0 0 29 2 *', 'UTC', '2096-03-01T00:00:00Z', '2104-02-29T00:00:00Z'], // 2100 is no leap year
  ['0 12 * * *', 'UTC', '2026-02-28T12:00:00Z', '2026-03-01T12:00:00Z'],
  ['0 12 * * *', 'UTC', '2028-02-28T12:00:00Z', '2028-02-29T12:00:00Z'],
  ['59 23 31 12 *', 'UTC', '2026-06-01T00:00:00Z', '2026-12-31T23:59:00Z'],
  ['0 0 1 1 *', 'UTC', '2026-12-31T23:59:59.999Z', '2027-01-01T00:00:00Z'],
  ['0 0 30 2 *', 'UTC', '2026-01-01T00:00:00Z', undefined],
  ['0 0 31 4,6,9,11 *', 'UTC', '2026-01-01T00:00:00Z', undefined],
  ['0 0 30 FEB *', 'Europe/Berlin', '2026-01-01T00:00:00Z', undefined],
]

const DESCRIPTORS: Case[] = [
  ['@yearly', 'UTC', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'],
  ['@annually', 'UTC', '2026-06-15T10:00:00Z', '2027-01-01T00:00:00Z'],
  ['@monthly', 'UTC', '2026-01-15T00:00:00Z', '2026-02-01T00:00:00Z'],
  ['@weekly', 'UTC', '2026-01-01T00:00:00Z', '2026-01-04T00:00:00Z'],
  ['@daily', 'UTC', '2026-01-01T12:00:00Z', '2026-01-02T00:00:00Z'],
  ['@midnight', 'UTC', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'],
  ['@hourly', 'UTC', '2026-01-01T00:30:00Z', '2026-01-01T01:00:00Z'],
  ['@DAILY', 'Europe/Berlin', '2026-01-01T12:00:00Z', '2026-01-02T00:00:00+01:00'],
  // @every: multiples of the period since 1970-01-01T00:00Z, in any zone.
  ['@every 5m', 'UTC', '2026-01-01T00:02:00Z', '2026-01-01T00:05:00Z'],
  ['@every 5m', 'UTC', '2026-01-01T00:05:00Z', '2026-01-01T00:10:00Z'],
  ['@every 1h30m', 'UTC', '2026-01-01T00:00:00Z', '2026-01-01T01:30:00Z'],
  ['@every 1h30m', 'UTC', '2026-01-01T23:00:00Z', '2026-01-02T00:00:00Z'], // 16 to a day
  ['@every 7m', 'UTC', '2026-01-02T00:00:00Z', '2026-01-02T00:02:00Z'], // 2026-01-01T00:00Z is 20454 × 1440 min
  ['@every 5m', 'Asia/Kathmandu', '2026-01-01T00:02:00Z', '2026-01-01T05:50:00+05:45'],
  ['@every 1h', 'America/St_Johns', '2026-01-01T00:10:00Z', '2025-12-31T21:30:00-03:30'],
  ['@every 1h', 'Europe/Berlin', '2026-10-25T02:30:00+02:00', '2026-10-25T02:00:00+01:00'], // no DST rule
]

const TIME_ZONES: Case[] = [
  ['0 9 * * *', 'Europe/Berlin', '2026-01-01T00:00:00Z', '2026-01-01T09:00:00+01:00'],
  ['0 9 * * *', 'Europe/Berlin', '2026-07-01T00:00:00Z', '2026-07-01T09:00:00+02:00'],
  ['0 9 * * *', 'America/New_York', '2026-01-01T00:00:00Z', '2026-01-01T09:00:00-05:00'],
  ['0 0 * * *', 'Asia/Tokyo', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00+09:00'],
  ['30 * * * *', 'Asia/Kathmandu', '2026-01-01T00:00:00Z', '2026-01-01T06:30:00+05:45'],
  // Still Sunday in New York at 02:00Z on Monday: the weekday is the zone's.
  ['0 0 * * MON', 'America/New_York', '2026-01-05T02:00:00Z', '2026-01-05T00:00:00-05:00'],
  ['CRON_TZ=Europe/Berlin 0 9 * * *', 'UTC', '2026-01-01T00:00:00Z', '2026-01-01T09:00:00+01:00'],
  ['TZ=America/New_York 0 9 * * *', 'Europe/Berlin', '2026-01-01T00:00:00Z', '2026-01-01T09:00:00-05:00'],
]

// Europe/Berlin: 2026-03-29 02:00 CET becomes 03:00 CEST; 2026-10-25 03:00 CEST becomes 02:00 CET.
// America/New_York: 2026-03-08 02:00 EST becomes 03:00 EDT; 2026-11-01 02:00 EDT becomes 01:00 EST.
const DST: Case[] = [
  ['30 2 * * *', 'Europe/Berlin', '2026-03-28T03:00:00+01:00', '2026-03-30T02:30:00+02:00'], // skipped
  ['30 2 29 3 *', 'Europe/Berlin', '2026-03-01T00:00:00+01:00', '2027-03-29T02:30:00+02:00'],
  ['*/30 * * * *', 'Europe/Berlin', '2026-03-29T01:30:00+01:00', '2026-03-29T03:00:00+02:00'],
  ['0 3 * * *', 'Europe/Berlin', '2026-03-28T03:00:00+01:00', '2026-03-29T03:00:00+02:00'],
  ['0 1 * * *', 'Europe/Berlin', '2026-03-28T01:00:00+01:00', '2026-03-29T01:00:00+01:00'],
  ['30 2 * * *', 'Europe/Berlin', '2026-10-25T00:00:00+02:00', '2026-10-25T02:30:00+02:00'], // the first
  ['30 2 * * *', 'Europe/Berlin', '2026-10-25T02:30:00+02:00', '2026-10-26T02:30:00+01:00'], // not again
  ['30 2 * * *', 'Europe/Berlin', '2026-10-25T02:00:00+01:00', '2026-10-26T02:30:00+01:00'],
  ['*/30 * * * *', 'Europe/Berlin', '2026-10-25T02:30:00+02:00', '2026-10-25T03:00:00+01:00'],
  ['0 3 * * *', 'Europe/Berlin', '2026-10-25T00:00:00+02:00', '2026-10-25T03:00:00+01:00'],
  ['0 2 * * *', 'Europe/Berlin', '2026-10-24T12:00:00+02:00', '2026-10-25T02:00:00+02:00'],
  ['30 2 * * *', 'America/New_York', '2026-03-07T12:00:00-05:00', '2026-03-09T02:30:00-04:00'], // skipped
  ['0 * * * *', 'America/New_York', '2026-03-08T01:00:00-05:00', '2026-03-08T03:00:00-04:00'],
  ['0 3 * * *', 'America/New_York', '2026-03-08T00:00:00-05:00', '2026-03-08T03:00:00-04:00'],
  ['30 1 * * *', 'America/New_York', '2026-11-01T00:00:00-04:00', '2026-11-01T01:30:00-04:00'], // the first
  ['30 1 * * *', 'America/New_York', '2026-11-01T01:30:00-04:00', '2026-11-02T01:30:00-05:00'], // not again
  ['30 1 * * *', 'America/New_York', '2026-11-01T01:00:00-05:00', '2026-11-02T01:30:00-05:00'],
  ['30 1 1 11 *', 'America/New_York', '2026-11-01T01:30:00-04:00', '2027-11-01T01:30:00-04:00'],
  ['0 2 * * *', 'America/New_York', '2026-11-01T00:00:00-04:00', '2026-11-01T02:00:00-05:00'],
  ['*/15 * * * *', 'America/New_York', '2026-11-01T01:45:00-04:00', '2026-11-01T02:00:00-05:00'],
]

const CASES = [
  ...FIELD_SYNTAX,
  ...WEEKDAY,
  ...EITHER_DAY,
  ...MONTH_ENDS,
  ...DESCRIPTORS,
  ...TIME_ZONES,
  ...DST,
]

describe('nextSlot', () => {
  it.each(CASES)('%s in %s after %s: %s', (expression, timezone, after, next) => {
    const slot = nextSlot(parsed(expression, timezone), Date.parse(after))
    expect(iso(slot)).toBe(iso(next === undefined ? undefined : Date.parse(next)))
  })

  it('agrees with the minute-by-minute reference on the cases within three days', () => {
    let checked = 0
    for (const [expression, timezone, after, next] of CASES) {
      const schedule = parsed(expression, timezone)
      if (schedule.kind !== 'cron' || next === undefined) continue
      const [from, to] = [Date.parse(after), Date.parse(next)]
      if (to - from > 72 * HOUR) continue
      expect(bruteSlots(schedule, from, to).map(iso), expression).toEqual([iso(to)])
      checked++
    }
    expect(checked).toBeGreaterThan(50)
  })

  it('finds far and impossible slots by skipping fields, not minutes', () => {
    // Minute by minute, each of these would take seconds: eight years are 4.2 million minutes.
    const started = performance.now()
    for (let i = 0; i < 100; i++) {
      expect(nextSlot(parsed('0 0 30 2 *', 'Europe/Berlin'), Date.UTC(2026, 0, 1))).toBeUndefined()
      expect(nextSlot(parsed('0 0 29 2 *', 'America/New_York'), Date.UTC(2096, 2, 1))).toBeDefined()
    }
    expect(performance.now() - started).toBeLessThan(3000)
  })

  it('is undefined for a time that is not a number', () => {
    expect(nextSlot(parsed('* * * * *'), Number.NaN)).toBeUndefined()
  })
})

describe('slotsBetween', () => {
  const at = (...times: string[]) => times.map((t) => iso(Date.parse(t)))
  const between = (expression: string, timezone: string, from: string, to: string, limit: number) =>
    slotsBetween(parsed(expression, timezone), Date.parse(from), Date.parse(to), limit).map(iso)

  it('gives the slots in (from, to], oldest first', () => {
    expect(between('0 * * * *', 'UTC', '2026-01-01T00:00Z', '2026-01-01T05:00Z', 10)).toEqual(
      at(
        '2026-01-01T01:00Z',
        '2026-01-01T02:00Z',
        '2026-01-01T03:00Z',
        '2026-01-01T04:00Z',
        '2026-01-01T05:00Z',
      ),
    )
  })

  it('stops at the limit, keeping the oldest', () => {
    expect(between('0 * * * *', 'UTC', '2026-01-01T00:00Z', '2026-01-01T05:00Z', 3)).toEqual(
      at('2026-01-01T01:00Z', '2026-01-01T02:00Z', '2026-01-01T03:00Z'),
    )
    expect(between('* * * * *', 'UTC', '2026-01-01T00:00Z', '2026-01-02T00:00Z', 1440)).toHaveLength(1440)
  })

  it('is empty for a limit of 0, an empty window, and a date that never comes', () => {
    expect(between('* * * * *', 'UTC', '2026-01-01T00:00Z', '2026-01-01T05:00Z', 0)).toEqual([])
    expect(between('* * * * *', 'UTC', '2026-01-01T00:00Z', '2026-01-01T00:00Z', 10)).toEqual([])
    expect(between('0 0 30 2 *', 'UTC', '2026-01-01T00:00Z', '2036-01-01T00:00Z', 10)).toEqual([])
  })

  it('skips the hour that summer time skips', () => {
    expect(
      between('*/30 * * * *', 'Europe/Berlin', '2026-03-29T00:00+01:00', '2026-03-29T04:00+02:00', 100),
    ).toEqual(
      at(
        '2026-03-29T00:30+01:00',
        '2026-03-29T01:00+01:00',
        '2026-03-29T01:30+01:00',
        '2026-03-29T03:00+02:00',
        '2026-03-29T03:30+02:00',
        '2026-03-29T04:00+02:00',
      ),
    )
  })

  it('runs a repeated wall-clock time once, the first time', () => {
    expect(
      between('*/30 * * * *', 'Europe/Berlin', '2026-10-25T01:00+02:00', '2026-10-25T04:00+01:00', 100),
    ).toEqual(
      at(
        '2026-10-25T01:30+02:00',
        '2026-10-25T02:00+02:00',
        '2026-10-25T02:30+02:00',
        '2026-10-25T03:00+01:00',
        '2026-10-25T03:30+01:00',
        '2026-10-25T04:00+01:00',
      ),
    )
    expect(
      between('30 2 * * *', 'Europe/Berlin', '2026-10-24T00:00+02:00', '2026-10-27T00:00+01:00', 10),
    ).toEqual(at('2026-10-24T02:30+02:00', '2026-10-25T02:30+02:00', '2026-10-26T02:30+01:00'))
    expect(
      between('30 1 * * *', 'America/New_York', '2026-10-31T00:00-04:00', '2026-11-03T00:00-05:00', 10),
    ).toEqual(at('2026-10-31T01:30-04:00', '2026-11-01T01:30-04:00', '2026-11-02T01:30-05:00'))
  })

  it('gives @every slots on the epoch grid', () => {
    expect(between('@every 20m', 'America/New_York', '2026-01-01T00:05Z', '2026-01-01T01:00Z', 10)).toEqual(
      at('2026-01-01T00:20Z', '2026-01-01T00:40Z', '2026-01-01T01:00Z'),
    )
  })
})

describe('parseSchedule', () => {
  it('reads each field into the values it allows', () => {
    expect(parseSchedule('*/20 1-3 1,15 jan,JUL mon-FRI')).toEqual({
      expression: '*/20 1-3 1,15 jan,JUL mon-FRI',
      timezone: 'UTC',
      kind: 'cron',
      minute: [0, 20, 40],
      hour: [1, 2, 3],
      dayOfMonth: [1, 15],
      month: [1, 7],
      dayOfWeek: [1, 2, 3, 4, 5],
      eitherDay: true,
    })
  })

  it('reads 7 as Sunday', () => {
    expect(parseSchedule('0 0 * * 7')).toMatchObject({ dayOfWeek: [0], eitherDay: false })
    expect(parseSchedule('0 0 * * 5-7')).toMatchObject({ dayOfWeek: [0, 5, 6] })
    expect(parseSchedule('0 0 * * 0,7')).toMatchObject({ dayOfWeek: [0] })
    expect(parseSchedule('0 0 * * *')).toMatchObject({ dayOfWeek: [0, 1, 2, 3, 4, 5, 6] })
  })

  it('expands descriptors to their fields', () => {
    const fields = (s: Schedule | { error: string }) =>
      'kind' in s && s.kind === 'cron' ? [s.minute, s.hour, s.dayOfMonth, s.month, s.dayOfWeek] : s
    expect(fields(parseSchedule('@weekly'))).toEqual(fields(parseSchedule('0 0 * * 0')))
    expect(fields(parseSchedule('@yearly'))).toEqual(fields(parseSchedule('0 0 1 1 *')))
    expect(fields(parseSchedule('@hourly'))).toEqual(fields(parseSchedule('0 * * * *')))
  })

  it('reads @every as a period in whole minutes', () => {
    expect(parseSchedule('  @every 1h30m  ')).toEqual({
      expression: '@every 1h30m',
      timezone: 'UTC',
      kind: 'every',
      everyMs: 90 * MINUTE,
    })
    expect(parseSchedule('@every 1.5h')).toMatchObject({ everyMs: 90 * MINUTE })
    expect(parseSchedule('@every 120s')).toMatchObject({ everyMs: 2 * MINUTE })
  })

  it('takes the zone from a CRON_TZ= prefix over the one given', () => {
    expect(parseSchedule('CRON_TZ=Europe/Berlin 0 9 * * *', 'America/New_York')).toMatchObject({
      expression: 'CRON_TZ=Europe/Berlin 0 9 * * *',
      timezone: 'Europe/Berlin',
    })
    expect(parseSchedule('0 9 * * *', 'Asia/Tokyo')).toMatchObject({ timezone: 'Asia/Tokyo' })
  })

  const DESCRIPTOR_LIST =
    '@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every <duration>'
  it.each([
    ['', 'UTC', 'expected 5 fields (minute hour day-of-month month day-of-week), got 0'],
    ['* * * *', 'UTC', 'expected 5 fields (minute hour day-of-month month day-of-week), got 4'],
    ['0 * * * * *', 'UTC', 'expected 5 fields (minute hour day-of-month month day-of-week), got 6'],
    ['CRON_TZ=Europe/Berlin', 'UTC', 'expected 5 fields (minute hour day-of-month month day-of-week), got 0'],
    ['61 * * * *', 'UTC', 'minute field "61" is out of range 0-59'],
    ['0-60 * * * *', 'UTC', 'minute field "60" is out of range 0-59'],
    ['* 24 * * *', 'UTC', 'hour field "24" is out of range 0-23'],
    ['* * 0 * *', 'UTC', 'day-of-month field "0" is out of range 1-31'],
    ['* * 32 * *', 'UTC', 'day-of-month field "32" is out of range 1-31'],
    ['* * * 13 *', 'UTC', 'month field "13" is out of range 1-12'],
    ['* * * 0 *', 'UTC', 'month field "0" is out of range 1-12'],
    ['* * * * 8', 'UTC', 'day-of-week field "8" is out of range 0-7'],
    ['*/0 * * * *', 'UTC', 'minute field "*/0" has step "0"; a step is a whole number from 1'],
    ['*/x * * * *', 'UTC', 'minute field "*/x" has step "x"; a step is a whole number from 1'],
    ['5/ * * * *', 'UTC', 'minute field "5/" has step ""; a step is a whole number from 1'],
    ['1-2/3/4 * * * *', 'UTC', 'minute field "1-2/3/4" is not a number, a range or a step'],
    ['1-2-3 * * * *', 'UTC', 'minute field "1-2-3" is not a number, a range or a step'],
    ['-5 * * * *', 'UTC', 'minute field "-5" is not a number, a range or a step'],
    ['1,,2 * * * *', 'UTC', 'minute field "1,,2" has an empty list item'],
    ['* 20-5 * * *', 'UTC', 'hour field "20-5" runs backwards; ranges do not wrap around'],
    ['* * * DEC-JAN *', 'UTC', 'month field "DEC-JAN" runs backwards; ranges do not wrap around'],
    ['* * * JANUARY *', 'UTC', 'month field "JANUARY" is not a number or a name (JAN-DEC)'],
    ['* * * * MONDAY', 'UTC', 'day-of-week field "MONDAY" is not a number or a name (SUN-SAT)'],
    ['* * * * 1-X', 'UTC', 'day-of-week field "X" is not a number or a name (SUN-SAT)'],
    ['MON * * * *', 'UTC', 'minute field "MON" is not a number'],
    ['0 0 * * *', 'Mars/Olympus', 'unknown time zone "Mars/Olympus"'],
    ['@every 5m', 'Mars/Olympus', 'unknown time zone "Mars/Olympus"'],
    ['CRON_TZ=Nowhere/Special 0 0 * * *', 'UTC', 'unknown time zone "Nowhere/Special"'],
    ['@every 90s', 'UTC', '@every 90s is not a whole number of minutes'],
    ['@every 0m', 'UTC', '@every 0m is less than a minute'],
    ['@every 30s', 'UTC', '@every 30s is less than a minute'],
    ['@every', 'UTC', '@every needs a duration, such as @every 5m'],
    ['@every five', 'UTC', '@every "five" is not a duration such as 5m or 1h30m'],
    ['@every 5', 'UTC', '@every "5" is not a duration such as 5m or 1h30m'],
    ['@every -5m', 'UTC', '@every "-5m" is not a duration such as 5m or 1h30m'],
    ['@fortnightly', 'UTC', `unknown descriptor "@fortnightly"; expected ${DESCRIPTOR_LIST}`],
    ['@daily 5', 'UTC', `unknown descriptor "@daily 5"; expected ${DESCRIPTOR_LIST}`],
  ])('%j in %s: %s', (expression, timezone, error) => {
    expect(parseSchedule(expression, timezone)).toEqual({ error })
  })
})

describe('nextSlot against the minute-by-minute reference', () => {
  const field = (min: number, max: number, anyWeight: number) => {
    const value = fc.integer({ min, max })
    return fc.oneof(
      { arbitrary: fc.constant('*'), weight: anyWeight },
      { arbitrary: value.map(String), weight: 2 },
      { arbitrary: fc.tuple(value, value).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`), weight: 2 },
      {
        arbitrary: fc
          .tuple(value, value, fc.integer({ min: 1, max: 10 }))
          .map(([a, b, step]) => `${Math.min(a, b)}-${Math.max(a, b)}/${step}`),
        weight: 1,
      },
      { arbitrary: fc.integer({ min: 1, max: 15 }).map((step) => `*/${step}`), weight: 2 },
      {
        arbitrary: fc.tuple(value, fc.integer({ min: 1, max: 10 })).map(([a, step]) => `${a}/${step}`),
        weight: 1,
      },
      { arbitrary: fc.uniqueArray(value, { minLength: 2, maxLength: 4 }).map((v) => v.join(',')), weight: 2 },
    )
  }
  const expression = fc
    .tuple(field(0, 59, 2), field(0, 23, 3), field(1, 31, 6), field(1, 12, 12), field(0, 7, 4))
    .map((fields) => fields.join(' '))

  // Each zone with the instants its offset changes in 2026; times are drawn near those or anywhere.
  const ZONES: [string, string[]][] = [
    ['UTC', []],
    ['Asia/Kathmandu', []],
    ['Europe/Berlin', ['2026-03-29T01:00Z', '2026-10-25T01:00Z']],
    ['America/New_York', ['2026-03-08T07:00Z', '2026-11-01T06:00Z']],
    ['Australia/Lord_Howe', ['2026-04-04T15:00Z', '2026-10-03T15:30Z']], // 30-minute changes
  ]
  const zoneAndTime = fc
    .constantFrom(...ZONES)
    .chain(([zone, changes]) =>
      fc.tuple(
        fc.constant(zone),
        fc.oneof(
          fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2028, 0, 1) }),
          ...changes.map((change) =>
            fc.integer({ min: Date.parse(change) - 36 * HOUR, max: Date.parse(change) + HOUR }),
          ),
        ),
      ),
    )

  it('finds the same next slot within 36 hours', () => {
    fc.assert(
      fc.property(expression, zoneAndTime, (text, [zone, after]) => {
        const schedule = parsed(text, zone) as CronSchedule
        const until = after + 36 * HOUR
        const [expected] = bruteSlots(schedule, after, until)
        const actual = nextSlot(schedule, after)
        if (expected === undefined) expect(actual === undefined || actual > until).toBe(true)
        else expect(iso(actual)).toBe(iso(expected))
      }),
      { numRuns: 200 },
    )
  }, 60_000)

  it('gives the same slots between two times', () => {
    fc.assert(
      fc.property(expression, zoneAndTime, fc.integer({ min: 1, max: 20 }), (text, [zone, from], limit) => {
        const schedule = parsed(text, zone) as CronSchedule
        const to = from + 6 * HOUR
        expect(slotsBetween(schedule, from, to, limit).map(iso)).toEqual(
          bruteSlots(schedule, from, to, limit).map(iso),
        )
      }),
      { numRuns: 100 },
    )
  }, 60_000)
})
