import { describe, expect, it } from 'vitest'
import { formatNanos, parseNanos } from '../../provider/src/clock.ts'
import { createReplicaSet } from '../../provider/src/replicas.ts'
import { canonicalHeader, splitEnvProcess, watchdogEnv } from '../../provider/src/watchdog.ts'
import { waitFor } from './helpers.ts'

describe('watchdog environment', () => {
  it('names headers the way Go canonicalises them', () => {
    expect(canonicalHeader('x-call-id')).toBe('X-Call-Id')
    expect(canonicalHeader('CONTENT-TYPE')).toBe('Content-Type')
    expect(canonicalHeader('accept')).toBe('Accept')
  })

  it('splits envProcess on spaces only', () => {
    expect(splitEnvProcess('  python3  index.py "a b"  ')).toEqual(['python3', 'index.py', '"a', 'b"'])
    expect(splitEnvProcess('')).toEqual([])
  })

  it('builds the Http_* variables', () => {
    const headers = new Headers({
      'x-forwarded-for': '1.2.3.4',
      'content-type': 'text/plain',
      'transfer-encoding': 'chunked',
    })
    expect(watchdogEnv({ method: 'PUT', path: '/a', query: 'x=1', host: 'h:1', headers })).toEqual({
      Http_X_Forwarded_For: '1.2.3.4',
      Http_Content_Type: 'text/plain',
      Http_Transfer_Encoding: 'chunked',
      Http_Method: 'PUT',
      Http_Path: '/a',
      Http_Query: 'x=1',
      Http_Host: 'h:1',
      Http_Content_Length: '-1',
    })
    expect(
      watchdogEnv({ method: 'POST', path: '/', query: '', host: undefined, headers: new Headers() }),
    ).toEqual({
      Http_Method: 'POST',
      Http_Path: '/',
      Http_Content_Length: '0',
    })
  })
})

describe('log timestamps', () => {
  it('round-trips nanoseconds through RFC3339', () => {
    const ns = 1_700_000_000_123_456_789n
    expect(formatNanos(ns)).toBe('2023-11-14T22:13:20.123456789Z')
    expect(parseNanos(formatNanos(ns))).toBe(ns)
    expect(parseNanos('2023-11-14T23:13:20.123456789+01:00')).toBe(ns)
    expect(parseNanos('2023-11-14T22:13:20Z')).toBe(1_700_000_000_000_000_000n)
  })
})

describe('replica set', () => {
  it('hands out slots up to max_inflight per ready replica and queues the rest in order', async () => {
    let max = 1
    const set = createReplicaSet({
      functionName: 'f',
      fullName: 'f.ns',
      coldStartMs: 0,
      maxInflight: () => max,
    })
    await expect(set.acquire()).rejects.toThrow(/no replicas available|scaled to zero/)
    set.scale(2)
    await expect(set.acquire()).rejects.toThrow(/no ready replicas yet/)
    await waitFor(() => set.available() === 2, 'replicas to be ready')

    const a = await set.acquire()
    const b = await set.acquire()
    expect(a.name).not.toBe(b.name)
    const order: string[] = []
    const queued = (label: string) =>
      set.acquire().then((replica) => {
        order.push(label)
        return replica
      })
    const c = queued('c')
    const d = queued('d')
    expect(set.waiting()).toBe(2)
    set.release(b)
    expect((await c).name).toBe(b.name)
    max = 2
    set.scale(2)
    expect((await d).name).toBe(a.name)
    expect(order).toEqual(['c', 'd'])
    set.stop(new Error('stopped'))
    expect(set.desired()).toBe(0)
  })
})
