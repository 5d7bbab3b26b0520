import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { api, type DevStack, deployed, devStack, SCALE_REQUEST, scaleToZero } from './dev-stack'
import { gatewayFor, outcome, sample, until, type Workerd } from './gateway'

// The runtime stops dead (workerd killed) and starts again over the same
// Durable Object storage: every object, the wake lock included, is rebuilt
// from what it stored and from the provider; every isolate starts empty, as
// after an eviction. In front of the real dev provider behind a fault proxy.

const COLD_START_MS = 3_000
const VARS = { SCALE_FROM_ZERO_TIMEOUT: '30s', REPLICA_CACHE_TTL: '200ms' }
const CASE_MS = 90_000

let stack: DevStack
let gateway: Workerd | undefined
const storage = () => `${stack.dir}/durable-objects`

beforeAll(async () => {
  stack = await devStack(COLD_START_MS)
})
afterEach(async () => {
  await gateway?.close()
  gateway = undefined
})
afterAll(() => stack?.close())

const start = async () => {
  gateway = await gatewayFor(stack.proxy.url, VARS, storage())
  return gateway.url
}
/** Kills workerd as a crash would (no shutdown), then serves the same bundle over the same storage. */
const crashAndRestart = async () => {
  await gateway?.close('SIGKILL')
  return start()
}
const invoke = (url: string, name: string, body: string) =>
  outcome(`${url}/function/${name}`, { method: 'POST', body })

/** Starts invocations of `name`, which is at zero; they die with the runtime, so their outcomes are not awaited. */
function strand(url: string, name: string): void {
  for (let i = 0; i < 4; i++) void invoke(url, name, `stranded ${i}`)
}

describe('a runtime restart during a wake from zero', () => {
  it(
    'resumes the wake: callers after the restart are served, and the provider got one scale request',
    async () => {
      const url = await start()
      await deployed(url, 'resumed')
      await scaleToZero(url, 'resumed')
      const scales = stack.proxy.count(SCALE_REQUEST)
      strand(url, 'resumed')
      await until('the scale request', 15_000, async () =>
        stack.proxy.count(SCALE_REQUEST) > scales ? true : undefined,
      )
      const restarted = await crashAndRestart()
      const results = await Promise.all(
        Array.from({ length: 4 }, (_, i) => invoke(restarted, 'resumed', `after ${i}`)),
      )
      results.forEach((result, i) => {
        expect(result, JSON.stringify(result)).toMatchObject({ status: 200, body: `after ${i}` })
      })
      expect(stack.proxy.count(SCALE_REQUEST) - scales).toBe(1)

      // No lock outlives the wake: scaled to zero again, the next invocation wakes it again, once.
      await scaleToZero(restarted, 'resumed')
      expect(await invoke(restarted, 'resumed', 'again')).toMatchObject({ status: 200, body: 'again' })
      expect(stack.proxy.count(SCALE_REQUEST) - scales).toBe(3)
    },
    CASE_MS,
  )

  it(
    'sends the scale request the crash swallowed, once, when the provider never got it',
    async () => {
      const url = await start()
      await deployed(url, 'swallowed')
      await scaleToZero(url, 'swallowed')
      const scales = stack.proxy.count(SCALE_REQUEST)
      // The wake's scale request leaves workerd but never reaches the provider before the crash.
      stack.proxy.hold(SCALE_REQUEST)
      strand(url, 'swallowed')
      await until('the scale request to be held', 15_000, async () =>
        stack.proxy.held() > 0 ? true : undefined,
      )
      await gateway?.close('SIGKILL')
      stack.proxy.unhold()
      const restarted = await start()
      expect(await invoke(restarted, 'swallowed', 'served')).toMatchObject({ status: 200, body: 'served' })
      expect(stack.proxy.count(SCALE_REQUEST) - scales).toBe(1)
    },
    CASE_MS,
  )
})

describe('a runtime restart, for what it stored', () => {
  it(
    'rebuilds each function from the provider: one deleted behind its back while it was down is 404',
    async () => {
      const url = await start()
      await deployed(url, 'kept')
      await deployed(url, 'dropped')
      await gateway?.close('SIGKILL')
      // Deleted on the provider directly, not through the gateway.
      const removed = await fetch(`${stack.provider.url}/system/functions`, {
        method: 'DELETE',
        body: JSON.stringify({ functionName: 'dropped' }),
      })
      expect(removed.status).toBe(202)
      const restarted = await start()
      expect(await invoke(restarted, 'kept', 'k')).toMatchObject({ status: 200, body: 'k' })
      // 404 at once: from the provider while the object's status is fresh (250 ms), then from the gateway,
      // which has learnt the function is gone and forwards nothing more.
      expect((await invoke(restarted, 'dropped', 'd')).status).toBe(404)
      const gone = await until('the gateway to know the function is gone', 10_000, async () => {
        const result = await invoke(restarted, 'dropped', 'd')
        return result.status === 404 && result.body?.startsWith('no such function') ? result : undefined
      })
      expect(gone.body).toBe('no such function: dropped.openfaas-fn\n')
      await api(restarted, 'DELETE', '/system/functions', { functionName: 'kept' }, 202)
    },
    CASE_MS,
  )

  it(
    'keeps every count flushed before the crash, neither lost nor doubled, and counts on after it',
    async () => {
      const label = 'function_name="counted.openfaas-fn",code="200"'
      const total = async (url: string) =>
        sample(await (await fetch(`${url}/metrics`)).text(), 'gateway_function_invocation_total', label)
      const url = await start()
      await deployed(url, 'counted')
      for (let i = 0; i < 20; i++) expect((await invoke(url, 'counted', `${i}`)).status).toBe(200)
      // 21 with the call that waited for the cold start; flushed about a second later.
      await until('21 counted', 15_000, async () => ((await total(url)) === 21 ? true : undefined))
      const restarted = await crashAndRestart()
      expect(await total(restarted)).toBe(21)
      for (let i = 0; i < 5; i++) expect((await invoke(restarted, 'counted', `${i}`)).status).toBe(200)
      await until('26 counted', 15_000, async () => ((await total(restarted)) === 26 ? true : undefined))
      // Stays exact: nothing arrives late to double it.
      await new Promise((resolve) => setTimeout(resolve, 1_500))
      expect(await total(restarted)).toBe(26)
    },
    CASE_MS,
  )
})
