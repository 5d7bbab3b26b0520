import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DevStack, deployed, devStack, SCALE_REQUEST, scaleToZero } from './dev-stack'
import { gatewayFor, outcome, until, type Workerd } from './gateway'

// A provider that restarts, vanishes or hangs while invocations wait for a
// function to wake from zero, with the production bundle in workerd in front
// of the real dev provider. Every waiter ends, in success or in 504 at the
// deadline; the provider sees one scale request however the wait goes.

const WAITERS = 8
const COLD_START_MS = 1_500
// Each case takes about 5 s; the bound leaves room for a busy machine.
const CASE_MS = 60_000

let stack: DevStack
let patient: Workerd
let hasty: Workerd
beforeAll(async () => {
  stack = await devStack(COLD_START_MS)
  // A deadline the restart fits in comfortably, even on a busy machine.
  patient = await gatewayFor(stack.proxy.url, { SCALE_FROM_ZERO_TIMEOUT: '20s', UPSTREAM_TIMEOUT: '30s' })
  // A deadline short of any upstream timeout: a hung poll must not outlast it.
  hasty = await gatewayFor(stack.proxy.url, { SCALE_FROM_ZERO_TIMEOUT: '3s', UPSTREAM_TIMEOUT: '30s' })
})
afterAll(async () => {
  await patient?.close()
  await hasty?.close()
  await stack?.close()
})

/** Scales `name` to 0, starts `WAITERS` invocations and resolves once its one scale request has reached the provider. */
async function waiting(gateway: Workerd, name: string) {
  await scaleToZero(gateway.url, name)
  const scales = stack.proxy.count(SCALE_REQUEST)
  const calls = Array.from({ length: WAITERS }, (_, i) =>
    outcome(`${gateway.url}/function/${name}`, { method: 'POST', body: `call ${i}` }),
  )
  await until('the wake to send its scale request', 15_000, async () =>
    stack.proxy.count(SCALE_REQUEST) > scales ? true : undefined,
  )
  return { calls: Promise.all(calls), scales }
}

describe('a provider that restarts during a wake from zero', () => {
  it(
    'serves every waiter once it is back within SCALE_FROM_ZERO_TIMEOUT, after one scale request',
    async () => {
      await deployed(patient.url, 'restarts')
      const { calls, scales } = await waiting(patient, 'restarts')
      // Gone for a second, then back over its own state: the desired replica it was given survives.
      await stack.restartProvider(1_000)
      const results = await calls
      results.forEach((result, i) => {
        expect(result, JSON.stringify(result)).toMatchObject({ status: 200, body: `call ${i}` })
      })
      expect(stack.proxy.count(SCALE_REQUEST) - scales).toBe(1)
    },
    CASE_MS,
  )

  it(
    'answers every waiter 504 at the deadline when it stays gone, and wakes normally once back',
    async () => {
      await deployed(hasty.url, 'vanishes')
      const { calls, scales } = await waiting(hasty, 'vanishes')
      await stack.proxy.down()
      const started = Date.now()
      const results = await calls
      for (const result of results) {
        expect(result.status, JSON.stringify(result)).toBe(504)
        expect(result.body).toMatch(/^function vanishes\.openfaas-fn did not become ready within 3\.\d+s/)
      }
      // Not left hanging past the deadline.
      expect(Date.now() - started).toBeLessThan(10_000)
      await stack.proxy.up()
      // No lock is left behind: the next invocation finds the replica the first wake asked for.
      expect(await outcome(`${hasty.url}/function/vanishes`, { method: 'POST', body: 'back' })).toMatchObject(
        {
          status: 200,
          body: 'back',
        },
      )
      expect(stack.proxy.count(SCALE_REQUEST) - scales).toBe(1)
    },
    CASE_MS,
  )

  it(
    'answers every waiter 504 at the deadline when its status calls hang, not an upstream timeout later',
    async () => {
      await deployed(hasty.url, 'hangs')
      const { calls, scales } = await waiting(hasty, 'hangs')
      stack.proxy.hold(/^GET \/system\/function\/hangs/)
      const started = Date.now()
      const results = await calls
      for (const result of results) expect(result.status, JSON.stringify(result)).toBe(504)
      // UPSTREAM_TIMEOUT is 30 s; the wait's own 3 s deadline bounds each poll.
      expect(Date.now() - started).toBeLessThan(10_000)
      stack.proxy.unhold()
      expect(stack.proxy.count(SCALE_REQUEST) - scales).toBe(1)
    },
    CASE_MS,
  )
})
