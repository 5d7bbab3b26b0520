import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { asyncCounters } from '../../src/queue/counters'
import { awaitCallbacks, callbacks, callbackTo, defineFunction, header, runs } from './async-helpers'
import { gateway } from './helpers'

const CALLS = 1000
const CONCURRENCY = 50

describe('asynchronous calls in bulk', () => {
  it(`delivers ${CALLS} calls: ${CALLS} callbacks, each call id once, each function run once, none lost`, async () => {
    const name = await defineFunction()
    const cb = callbackTo()
    const callIds: string[] = []
    for (let start = 0; start < CALLS; start += CONCURRENCY) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, CALLS - start) }, (_, i) =>
          gateway(`/async-function/${name}`, {
            method: 'POST',
            body: `call ${start + i}`,
            headers: { 'x-callback-url': cb.url },
          }),
        ),
      )
      for (const res of batch) {
        expect(res.status).toBe(202)
        callIds.push(res.headers.get('x-call-id') as string)
      }
    }
    expect(new Set(callIds).size).toBe(CALLS)

    const delivered = await awaitCallbacks(cb.id, CALLS, 90_000)
    // Anything still in flight would arrive now: there must be nothing.
    await new Promise((resolve) => setTimeout(resolve, 500))
    const all = (await callbacks(cb.id)).callbacks
    expect(all).toHaveLength(CALLS)
    const ids = all.map((callback) => header(callback, 'x-call-id'))
    expect(new Set(ids)).toEqual(new Set(callIds))
    for (const callback of delivered) expect(header(callback, 'x-function-status')).toBe('200')

    const ran = await runs(name)
    expect(Object.keys(ran)).toHaveLength(CALLS)
    expect(Object.values(ran).every((n) => n === 1)).toBe(true)
    expect((await asyncCounters(env))[`${name}.openfaas-fn`]).toEqual({
      enqueued: CALLS,
      completed: CALLS,
      retried: 0,
      deadLettered: 0,
      callbackFailures: 0,
    })
  }, 120_000)
})
