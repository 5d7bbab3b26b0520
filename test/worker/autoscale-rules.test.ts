import { describe, expect, it } from 'vitest'
import { decide, type Recommendation, remember } from '../../src/scale/decide'
import { idleVerdict } from '../../src/scale/idle'
import { DEFAULT_SCALE, type ScaleLabels, type ScaleType, scaleLabels } from '../../src/scale/labels'
import { inFlight, measureRate, type Sample } from '../../src/scale/load'
import { type FunctionScaling, plan, type Settings } from '../../src/scale/plan'

// The autoscaler's and the idler's rules as tables: what goes in, what comes out.

const NOW = 1_000_000

describe('autoscaler decisions', () => {
  type Row = {
    load: number | undefined
    target?: number
    min?: number
    max?: number
    type?: ScaleType
    windowS?: number
    current: number
    /** Earlier recommendations: [seconds ago, replicas]. */
    history?: [number, number][]
    /** Replicas the autoscaler saw last tick; 'first' when it never saw the function. Default: current. */
    lastSeen?: number | 'first'
    floor?: number
  }
  const rows: [string, Row, string, number][] = [
    // name, inputs, action, desired
    ['10 rps at target 5, max 2: capped at max', { load: 10, max: 2, current: 1 }, 'up', 2],
    ['10 rps at target 5: ceil(10 / 4.5) = 3', { load: 10, current: 1 }, 'up', 3],
    ['4.5 rps at target 5 is exactly one replica', { load: 4.5, current: 1 }, 'hold', 1],
    ['4.6 rps at target 5 needs two', { load: 4.6, current: 1 }, 'up', 2],
    ['up is at once, even right after a scale-down', { load: 30, current: 2, history: [[1, 2]] }, 'up', 7],
    ['1000 rps: capped at max', { load: 1000, max: 10, current: 3 }, 'up', 10],
    [
      'no load, scaled up 10 s ago: waits for the window',
      { load: 0, current: 2, history: [[10, 2]] },
      'hold',
      2,
    ],
    ['no load for the whole 60 s window: down', { load: 0, current: 2, history: [[61, 2]] }, 'down', 1],
    [
      'falling load: down only to the most the window asked for',
      {
        load: 0,
        current: 4,
        history: [
          [61, 4],
          [40, 3],
          [20, 2],
        ],
      },
      'down',
      3,
    ],
    ['a dip shorter than the window changes nothing', { load: 1, current: 3, history: [[20, 3]] }, 'hold', 3],
    ['window 0: down at once', { load: 0, windowS: 0, current: 3, history: [[1, 3]] }, 'down', 1],
    ['min 2: never below it', { load: 0, min: 2, current: 3, history: [[61, 3]] }, 'down', 2],
    [
      'min 0: never to 0 (that is the idler’s)',
      { load: 0, min: 0, current: 1, history: [[61, 1]] },
      'hold',
      1,
    ],
    [
      'first sight above what the load needs: held a window',
      { load: 0, current: 3, lastSeen: 'first' },
      'hold',
      3,
    ],
    [
      'scaled up by someone else: held a window before coming down',
      { load: 0, current: 5, lastSeen: 1, history: [[30, 1]] },
      'hold',
      5,
    ],
    [
      'above max (set by hand), after a window: down',
      { load: 0, max: 10, current: 12, history: [[61, 12]] },
      'down',
      1,
    ],
    ['capacity: 12 in flight at target 5 → 3', { load: 12, type: 'capacity', current: 1 }, 'up', 3],
    ['type off: left alone', { load: 100, type: 'off', current: 1 }, 'off', 1],
    ['min == max: left alone', { load: 100, min: 3, max: 3, current: 3 }, 'off', 3],
    ['not measured yet: nothing changes', { load: undefined, current: 2, history: [[61, 2]] }, 'hold', 2],
    [
      'at 0 replicas: the wake from zero brings it up, not the autoscaler',
      { load: 10, current: 0 },
      'hold',
      0,
    ],
    [
      'alert floor 3, no load: held at the floor',
      { load: 0, floor: 3, current: 3, history: [[120, 3]] },
      'hold',
      3,
    ],
    ['alert floor 3 above the replicas: up to the floor', { load: 0, floor: 3, current: 1 }, 'up', 3],
    ['alert floor 3 and load for 9: up past the floor', { load: 40, floor: 3, current: 3 }, 'up', 9],
    [
      'alert floor 3 after load for 6 stopped: down to the floor, not below',
      { load: 0, floor: 3, current: 6, history: [[61, 6]] },
      'down',
      3,
    ],
    ['an alert floor over max counts as max', { load: 0, floor: 30, max: 4, current: 4 }, 'hold', 4],
  ]

  it.each(rows)('%s', (_name, row, action, desired) => {
    const windowMs = (row.windowS ?? 60) * 1000
    let window: Recommendation[] = []
    for (const [ago, replicas] of row.history ?? [])
      window = remember(window, { at: NOW - ago * 1000, replicas }, windowMs)
    const verdict = decide({
      now: NOW,
      load: row.load,
      current: row.current,
      lastSeen: row.lastSeen === 'first' ? undefined : (row.lastSeen ?? row.current),
      type: row.type ?? 'rps',
      min: row.min ?? 1,
      max: row.max ?? 20,
      target: row.target ?? 5,
      downWindowMs: windowMs,
      floor: row.floor ?? 0,
      window,
    })
    expect({ action: verdict.action, desired: verdict.desired }, verdict.reason).toEqual({ action, desired })
  })

  it('says when the down window ends, and why it scales', () => {
    const base = {
      now: NOW,
      lastSeen: 2,
      type: 'rps' as const,
      min: 1,
      max: 20,
      target: 5,
      downWindowMs: 60_000,
      floor: 0,
    }
    const held = decide({ ...base, load: 0, current: 2, window: [{ at: NOW - 15_000, replicas: 2 }] })
    expect(held.reason).toBe('load 0 at target 5 asks for 0; down window ends in 45s')
    const up = decide({ ...base, load: 9.8, current: 2, window: [] })
    expect(up.reason).toBe('load 9.8 at target 5 asks for 3')
  })

  it('keeps the window highest first, one entry per count, nothing older than the window', () => {
    let window: Recommendation[] = []
    for (const [at, replicas] of [
      [0, 5],
      [10, 3],
      [20, 4],
      [30, 1],
      [40, 2],
    ] as const)
      window = remember(window, { at: at * 1000, replicas }, 60_000)
    expect(window).toEqual([
      { at: 0, replicas: 5 },
      { at: 20_000, replicas: 4 },
      { at: 40_000, replicas: 2 },
    ])
    expect(remember(window, { at: 70_000, replicas: 1 }, 60_000)).toEqual([
      { at: 20_000, replicas: 4 },
      { at: 40_000, replicas: 2 },
      { at: 70_000, replicas: 1 },
    ])
  })
})

describe('idler decisions', () => {
  const base = {
    now: NOW,
    zero: true,
    afterMs: 5_000,
    activeAt: NOW - 10_000,
    inFlight: 0,
    current: 1,
    floor: 0,
  }
  it.each([
    ['idle past its duration, nothing in flight', {}, true, undefined],
    ['not labelled', { zero: false }, false, undefined],
    ['quiet for 3 s of 5 s: not yet, and says when', { activeAt: NOW - 3_000 }, false, NOW + 2_000],
    ['a call in flight: never, and looked at again', { inFlight: 1 }, false, NOW],
    ['already at 0', { current: 0 }, false, undefined],
    ['a firing alert holds it', { floor: 2 }, false, undefined],
  ])('%s', (_name, change, idle, at) => {
    const verdict = idleVerdict({ ...base, ...change })
    expect(verdict.idle, verdict.reason).toBe(idle)
    expect('at' in verdict ? verdict.at : undefined).toBe(at)
  })
})

describe('load', () => {
  const s = (at: number, started: number, finished = started): Sample => ({ at, started, finished })
  it.each([
    ['no earlier sample: not measured', [], s(1000, 10), 1000, undefined],
    ['one second of samples: too short to say', [s(0, 0)], s(1000, 10), 1000, undefined],
    ['10 started over 2 s: 5 rps', [s(0, 0)], s(2000, 10), 1000, 5],
    [
      'ticks every second: the rate over the last 5 s',
      [0, 1, 2, 3, 4, 5, 6].map((i) => s(i * 1000, i * 10)),
      s(7000, 100),
      1000,
      (100 - 20) / 5,
    ],
    ['ticks every 5 s: the rate over the last tick', [s(0, 0)], s(5100, 51), 5000, 10],
    ['a gap (cron only, no traffic): the old sample is not used', [s(0, 0)], s(60_000, 600), 1000, undefined],
    ['counts that went back (a shard lost its totals): no load', [s(0, 50)], s(5000, 10), 5000, 0],
  ])('%s', (_name, samples, sample, interval, rps) => {
    expect(measureRate(samples, sample, interval).rps).toBe(rps)
  })

  it('keeps only the samples the next rate needs', () => {
    const samples = [0, 1, 2, 3, 4, 5, 6].map((i) => s(i * 1000, i))
    expect(measureRate(samples, s(7000, 7), 1000).samples.map((x) => x.at)).toEqual([
      2000, 3000, 4000, 5000, 6000, 7000,
    ])
  })

  it.each([
    ['the gauge, when isolates report calls', 2, s(NOW, 5, 5), NOW, 2],
    ['started minus finished, for a call the gauge forgot', 0, s(NOW, 5, 4), NOW - 30_000, 1],
    ['not a count an evicted isolate never finished', 0, s(NOW, 5, 4), NOW - 80_000, 0],
  ])('in flight: %s', (_name, gauge, sample, changedAt, expected) => {
    expect(inFlight(gauge, sample, changedAt, 60_000)).toBe(expected)
  })
})

describe('autoscaling labels', () => {
  const read = (labels: Record<string, string>) => {
    const warnings: string[] = []
    return { result: scaleLabels(labels, (w) => warnings.push(w)), warnings }
  }
  const p = 'com.openfaas.scale.'

  it('reads every label', () => {
    const { result, warnings } = read({
      [`${p}type`]: 'capacity',
      [`${p}target`]: '2.5',
      [`${p}down-window`]: '30s',
      [`${p}zero`]: 'TRUE',
      [`${p}zero-duration`]: '2m',
    })
    expect(result).toEqual({
      ...DEFAULT_SCALE,
      type: 'capacity',
      target: 2.5,
      downWindowMs: 30_000,
      zero: true,
      zeroDurationMs: 120_000,
    } satisfies ScaleLabels)
    expect(warnings).toEqual([])
    expect(read({ [`${p}type`]: 'off', [`${p}down-window`]: '0' }).result).toMatchObject({
      type: 'off',
      downWindowMs: 0,
    })
  })

  it.each([
    [{ [`${p}type`]: 'fast' }, { type: 'rps' }, 'com.openfaas.scale.type="fast" is not rps, capacity or off'],
    [{ [`${p}target`]: '0' }, { target: undefined }, 'target="0" is not a number above 0'],
    [{ [`${p}target`]: 'many' }, { target: undefined }, "using the gateway's AUTOSCALE_TARGET"],
    [{ [`${p}down-window`]: 'soon' }, { downWindowMs: undefined }, 'using AUTOSCALE_DOWN_WINDOW'],
    [{ [`${p}zero`]: 'yes' }, { zero: false }, 'com.openfaas.scale.zero="yes" is not true or false'],
    [
      { [`${p}zero-duration`]: '0s' },
      { zeroDurationMs: undefined },
      'is not a positive duration; using IDLE_AFTER',
    ],
  ])('a bad label %j: its default and a warning, never an exception', (labels, expected, warning) => {
    const { result, warnings } = read(labels)
    expect(result).toEqual({ ...DEFAULT_SCALE, ...expected })
    expect(warnings.join('\n')).toContain(warning)
  })
})

describe('keeping the loop going', () => {
  const settings: Settings = {
    autoscale: true,
    target: 5,
    downWindowMs: 60_000,
    idleAfterMs: 900_000,
    intervalMs: 1_000,
    upstreamTimeoutMs: 60_000,
  }
  const tick = (
    labels: Record<string, string>,
    replicas: number,
    previous?: FunctionScaling,
    now = NOW,
    started = 0,
    warn: (problem: string) => void = () => {},
  ) =>
    plan(
      'f.ns',
      previous,
      {
        replicas: { replicas, available: replicas, labels },
        counts: { 'f.ns': { started, waits: 0, waitSeconds: 0, coldStarts: 0, codes: {} } },
        inflight: {},
        stale: false,
        floor: 0,
      },
      settings,
      now,
      warn,
    )

  it('stops at min with no idler label: only traffic or cron bring the next tick', () => {
    expect(tick({}, 1).nextAt).toBeUndefined()
  })

  it('goes on while a function is above min, for its down window', () => {
    expect(tick({}, 3).nextAt).toBe(NOW + 1_000)
    expect(tick({ 'com.openfaas.scale.type': 'off' }, 3).nextAt).toBeUndefined()
  })

  it('wakes at the idle deadline, counted from the last invocation or the wake from zero', () => {
    const zero = { 'com.openfaas.scale.zero': 'true', 'com.openfaas.scale.zero-duration': '20s' }
    const first = tick(zero, 1)
    expect(first.nextAt).toBe(NOW + 20_000)
    // An invocation 5 s later moves the deadline.
    const later = tick(zero, 1, first.state, NOW + 5_000, 1)
    expect(later.nextAt).toBe(NOW + 25_000)
    // Idled at 0, then woken 100 s later: a fresh 20 s.
    const idled = tick(zero, 0, later.state, NOW + 100_000, 1)
    expect(idled.nextAt).toBeUndefined()
    expect(tick(zero, 1, idled.state, NOW + 101_000, 1).nextAt).toBe(NOW + 121_000)
  })

  it.each([
    ['asked once more: a call started', 5, 6, true],
    ['not asked', 5, 5, false],
    ['restarted (evicted when idle) and not asked since', 5, 0, false],
    ['restarted and asked since', 5, 2, true],
    ['not reachable: counted as asked, so nothing is cut off', 5, 'unreachable', true],
  ] as const)('hears of a call from the function’s state object: %s', (_name, before, after, heard) => {
    const zero = { 'com.openfaas.scale.zero': 'true', 'com.openfaas.scale.zero-duration': '20s' }
    const observe = (asked: number | 'unreachable', now: number) =>
      plan(
        'f.ns',
        previous,
        {
          replicas: { replicas: 1, available: 1, labels: zero },
          counts: {},
          inflight: {},
          stale: false,
          floor: 0,
          asked,
        },
        settings,
        now,
        () => {},
      )
    let previous: FunctionScaling | undefined
    previous = observe(before, NOW).state
    expect(observe(after, NOW + 5_000).state.activeAt).toBe(heard ? NOW + 5_000 : NOW)
  })

  it('idles after a short idle duration as it is: a drain, not a cut-off, makes any duration safe', () => {
    const warnings: string[] = []
    const short = { 'com.openfaas.scale.zero': 'true', 'com.openfaas.scale.zero-duration': '2s' }
    const first = tick(short, 1, undefined, NOW, 0, (w) => warnings.push(w))
    expect(first.nextAt).toBe(NOW + 2_000)
    expect(warnings).toEqual([])
  })
})
