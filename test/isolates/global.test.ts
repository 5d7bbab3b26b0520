import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { counterTotal, type Fleet, QUICK, spread, startFleet, until } from './fleet.ts'
import { type ModelledProvider, modelledProvider } from './modelled-provider.ts'

// The global guarantees where they matter: three gateway Workers, each its own isolate with its own
// replica cache and metrics buffer, sharing one set of Durable Objects. Every load here is spread over
// all three, so nothing holds unless it holds across isolates.

const GATEWAYS = 3
// min = max keeps the autoscaler off a function, so its scale requests are the wake's or the idler's alone.
const STILL = { 'com.openfaas.scale.min': '1', 'com.openfaas.scale.max': '1' }

let provider: ModelledProvider
let fleet: Fleet

beforeAll(async () => {
  provider = await modelledProvider({
    name: 'burst',
    coldStartMs: 0,
    workMs: 0,
    functions: [
      { name: 'burst', labels: STILL, replicas: 0, coldStartMs: 500, workMs: 5 },
      { name: 'counted', labels: STILL, coldStartMs: 0, workMs: 1 },
      // 10 requests a second per replica: 24 a second need ceil(24 / 9) = 3 replicas.
      {
        name: 'loaded',
        labels: { 'com.openfaas.scale.target': '10', 'com.openfaas.scale.max': '5' },
        coldStartMs: 200,
        workMs: 5,
      },
      {
        name: 'idler',
        labels: { ...STILL, 'com.openfaas.scale.zero': 'true', 'com.openfaas.scale.zero-duration': '3s' },
        coldStartMs: 200,
        workMs: 5,
      },
    ],
  })
  fleet = await startFleet(GATEWAYS, {
    FUNCTIONS_PROVIDER_URL: provider.url,
    ...QUICK,
    SYNC_INTERVAL: '500ms',
    AUTOSCALE_DOWN_WINDOW: '2s',
  })
}, 120_000)

afterAll(async () => {
  await fleet?.close()
  await provider?.close()
})

/** How many answers had each status, as `{ 200: n, … }`. */
const statuses = (answers: { status: number }[]) => {
  const counts: Record<number, number> = {}
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1
  return counts
}

describe(`${GATEWAYS} gateway isolates, one set of Durable Objects`, () => {
  it('wakes a function at zero with one scale request for 600 concurrent calls spread over every gateway', async () => {
    const answers = await spread(fleet.urls, 600, 600, () => '/function/burst')
    // Every call waited for the same wake and was served: none refused, none timed out.
    expect(statuses(answers)).toEqual({ 200: 600 })
    expect(answers.every((a, i) => a.body === String(i))).toBe(true)
    expect(provider.fn('burst').scales.map((s) => s.replicas)).toEqual([1])
  })

  it('counts every call exactly once, on every gateway alike, and in invocationCount', async () => {
    const calls = 1500
    const answers = await spread(fleet.urls, calls, 30, () => '/function/counted')
    expect(statuses(answers)).toEqual({ 200: calls })
    const totals = () =>
      Promise.all(
        fleet.urls.map(async (url) =>
          counterTotal(
            await (await fetch(`${url}/metrics`)).text(),
            'gateway_function_invocation_total',
            'counted.openfaas-fn',
          ),
        ),
      )
    // Each isolate flushes within a second; give it a few.
    let seen: number[] = []
    await until(
      async () => {
        seen = await totals()
        return seen.every((n) => n === calls)
      },
      10_000,
      200,
    )
    expect(seen).toEqual(fleet.urls.map(() => calls))
    // And no later flush adds to it: nothing is counted twice.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(await totals()).toEqual(fleet.urls.map(() => calls))
    for (const url of fleet.urls) {
      const list = (await (await fetch(`${url}/system/functions`)).json()) as {
        name: string
        invocationCount?: number
      }[]
      expect(list.find((f) => f.name === 'counted')?.invocationCount).toBe(calls)
    }
  })

  it('scales to the sum of the load: a third of it through each gateway asks for 3 replicas, and comes down after', async () => {
    const loaded = provider.fn('loaded')
    const stop = { now: false }
    const answers: number[] = []
    // 8 calls a second through each of the three gateways: no one isolate sees more than a replica's worth.
    const client = async (url: string) => {
      for (let n = 0; !stop.now; n++) {
        const started = Date.now()
        const res = await fetch(`${url}/function/loaded`, { method: 'POST', body: `${n}` })
        answers.push(res.status)
        await res.arrayBuffer()
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, 125 - (Date.now() - started))))
      }
    }
    const clients = fleet.urls.map(client)
    let up = false
    try {
      up = await until(() => loaded.replicas() === 3, 30_000, 100)
    } finally {
      stop.now = true
      await Promise.all(clients)
    }
    expect(up, `replicas asked for: ${loaded.scales.map((s) => s.replicas)}`).toBe(true)
    expect(answers.filter((s) => s !== 200)).toEqual([])
    // Never more than the load needs: the isolates' shares were added up, not multiplied.
    expect(Math.max(...loaded.scales.map((s) => s.replicas))).toBe(3)
    const down = await until(() => loaded.replicas() === 1, 30_000, 100)
    expect(down, `replicas asked for: ${loaded.scales.map((s) => s.replicas)}`).toBe(true)
  }, 70_000)

  it('idles a function one gateway served; another wakes it; calls during the drain never see a 503', async () => {
    const idler = provider.fn('idler')
    const [only, other, third] = fleet.urls as [string, string, string]
    // Nothing has called it yet, so it may have idled to 0 already: the first call wakes it if so.
    for (let n = 0; n < 5; n++) {
      const res = await fetch(`${only}/function/idler`, { method: 'POST', body: `${n}` })
      expect(res.status).toBe(200)
      await res.arrayBuffer()
    }
    const served = idler.scales.length
    // Quiet for its zero-duration (3 s): the idler drains it to 0, with nothing in flight.
    expect(await until(() => idler.replicas() === 0, 20_000, 100)).toBe(true)
    expect(idler.scales.slice(served)).toMatchObject([{ replicas: 0, inFlight: 0 }])
    const wokenAt = Date.now()
    const woken = await fetch(`${other}/function/idler`, { method: 'POST', body: 'wake' })
    expect(woken.status).toBe(200)
    expect(await woken.text()).toBe('wake')
    expect(idler.scales.slice(served).map((s) => s.replicas)).toEqual([0, 1])

    // Quiet again; the moment the idler has begun its next drain, calls come through the other gateways.
    const draining = await until(async () => {
      const report = (await (await fetch(`${third}/system/scaling`)).json()) as {
        functions: { name: string; status: { action: string; at: string } }[]
      }
      const status = report.functions.find((f) => f.name === 'idler')?.status
      return status?.action === 'idle' && Date.parse(status.at) > wokenAt
    }, 20_000)
    expect(draining).toBe(true)
    const during = await spread([other, third], 20, 4, () => '/function/idler')
    expect(statuses(during)).toEqual({ 200: 20 })
    expect(idler.refused).toBe(0)
    // The calls ended the idler's drain, or came after its scale to 0 and woke the function once.
    expect([[], [0, 1]]).toContainEqual(idler.scales.slice(served + 2).map((s) => s.replicas))
  }, 60_000)
})
