import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fleet, QUICK, sleep, startFleet, until } from './fleet.ts'
import { type ModelledProvider, modelledProvider } from './modelled-provider.ts'

// Drain before zero, where it matters: three gateway Workers, each its own
// isolate with its own replica cache, sharing one set of Durable Objects (the
// production bundle served by workerd), carry a steady stream of calls with
// streamed bodies (never replayed) while the function is scaled to 0 through
// the API again and again, and woken by those calls each time.

const FUNCTION = 'drainee'
const GATEWAYS = 3
const CLIENTS_PER_GATEWAY = 2
const CYCLES = 20
// Bounds on the whole run, however the machine is doing.
const RUN_LIMIT_MS = 150_000
const CYCLE_LIMIT_MS = 15_000

let provider: ModelledProvider
let gateway: Fleet

beforeAll(async () => {
  provider = await modelledProvider({
    name: FUNCTION,
    // min = max: the autoscaler leaves it alone, so every scale request here is a drain's or a wake's.
    labels: { 'com.openfaas.scale.min': '1', 'com.openfaas.scale.max': '1' },
    coldStartMs: 150,
    workMs: 20,
  })
  gateway = await startFleet(GATEWAYS, {
    FUNCTIONS_PROVIDER_URL: provider.url,
    ...QUICK,
    SYNC_INTERVAL: '1s',
  })
}, 120_000)

afterAll(async () => {
  await gateway?.close()
  await provider?.close()
})

type Outcome = { status: number; ok: boolean; detail?: string }

/** One client: calls through one gateway, one at a time, until told to stop. */
async function client(url: string, id: string, stop: { now: boolean }, outcomes: Outcome[]) {
  for (let n = 0; !stop.now; n++) {
    const body = `${id}-${n}`
    try {
      const res = await fetch(`${url}/function/${FUNCTION}`, { method: 'POST', body })
      const text = await res.text()
      const ok = res.status === 200 && text === body
      outcomes.push({ status: res.status, ok, ...(ok ? {} : { detail: `${body}: ${res.status} ${text}` }) })
    } catch (error) {
      outcomes.push({ status: 0, ok: false, detail: `${body}: ${error}` })
    }
  }
}

describe('drain before zero, over several isolates', () => {
  it(`is scaled to 0 and woken ${CYCLES} times under steady calls: no call fails, none in flight at a scale to 0`, async () => {
    const stop = { now: false }
    const outcomes: Outcome[] = []
    const clients = gateway.urls.flatMap((url: string, g: number) =>
      Array.from({ length: CLIENTS_PER_GATEWAY }, (_, c) => client(url, `g${g}c${c}`, stop, outcomes)),
    )
    const started = Date.now()
    let cycles = 0
    try {
      await sleep(500)
      for (; cycles < CYCLES && Date.now() - started < RUN_LIMIT_MS; cycles++) {
        const zeros = provider.scales.filter((s) => s.replicas === 0).length
        const wakes = provider.scales.filter((s) => s.replicas > 0).length
        // Each scale-down through a different gateway: the drain is the function's, not an isolate's.
        const via = gateway.urls[cycles % GATEWAYS]
        const res = await fetch(`${via}/system/scale-function/${FUNCTION}`, {
          method: 'POST',
          body: JSON.stringify({ serviceName: FUNCTION, replicas: 0 }),
        })
        expect(res.status).toBe(202)
        expect(await res.text()).toContain(`draining ${FUNCTION}.openfaas-fn`)
        const scaledDown = await until(
          () => provider.scales.filter((s) => s.replicas === 0).length > zeros,
          CYCLE_LIMIT_MS,
          20,
        )
        expect(scaledDown, `cycle ${cycles}: the drain never scaled the function to 0`).toBe(true)
        // The calls waiting meanwhile wake it: one scale-up, then it serves again.
        const woken = await until(
          () => provider.scales.filter((s) => s.replicas > 0).length > wakes && provider.available() > 0,
          CYCLE_LIMIT_MS,
          20,
        )
        expect(woken, `cycle ${cycles}: the calls never woke the function`).toBe(true)
        await sleep(200)
      }
    } finally {
      stop.now = true
      await Promise.all(clients)
    }

    const failed = outcomes.filter((o) => !o.ok)
    expect(cycles).toBe(CYCLES)
    expect(failed.map((o) => o.detail).slice(0, 10)).toEqual([])
    expect(outcomes.length).toBeGreaterThan(CYCLES * 10)
    const zeros = provider.scales.filter((s) => s.replicas === 0)
    expect(zeros).toHaveLength(CYCLES)
    expect(zeros.filter((s) => s.inFlight > 0)).toEqual([])
    // Every wake is one scale-up, however many isolates' calls were waiting for it.
    expect(provider.scales.filter((s) => s.replicas > 0)).toHaveLength(CYCLES)
    expect(provider.refused).toBe(0)
  }, 200_000)
})
