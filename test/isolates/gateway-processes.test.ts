import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcesses } from '../../scripts/gateway-processes.mjs'
import { productionBundle } from '../raw/harness.ts'
import { counterTotal, QUICK, sleep, spread, until } from './fleet.ts'
import { type ModelledProvider, modelledProvider } from './modelled-provider.ts'

// Gateways as separate processes, each its own workerd: the first hosts the Durable Objects (and the
// queue), the other two bind to them by script_name (scripts/gateway-processes.mjs). A scheduled event
// delivered to all of them at once runs its slot once; one killed mid-load (SIGKILL: no flush, no
// goodbye), as a data centre loses a machine, leaves the rest serving. The one killed is not the host:
// state lives in the Durable Objects, so what a gateway started there (a wake) outlives it.

const STILL = { 'com.openfaas.scale.min': '1', 'com.openfaas.scale.max': '1' }
const COLD_START_MS = 3000
const CLIENTS_PER_GATEWAY = 2
const VICTIM = 2

let provider: ModelledProvider
let fleet: Awaited<ReturnType<typeof startGatewayProcesses>>

beforeAll(async () => {
  provider = await modelledProvider({
    name: 'steady',
    coldStartMs: 0,
    workMs: 0,
    functions: [
      { name: 'steady', labels: STILL, coldStartMs: 0, workMs: 5 },
      { name: 'sleeper', labels: STILL, replicas: 0, coldStartMs: COLD_START_MS, workMs: 5 },
      {
        name: 'ticker',
        labels: STILL,
        annotations: { topic: 'cron-function', schedule: '* * * * *' },
        coldStartMs: 0,
        workMs: 1,
      },
    ],
  })
  fleet = await startGatewayProcesses({
    bundleDir: productionBundle(),
    gateways: 3,
    vars: {
      FUNCTIONS_PROVIDER_URL: provider.url,
      ...QUICK,
      SYNC_INTERVAL: '1s',
    },
  })
}, 120_000)

afterAll(async () => {
  await fleet?.close()
  await provider?.close()
})

type Answer = { gateway: number; status: number; at: number }

/** Calls `steady` through one gateway back to back until told to stop or its gateway is gone. */
async function client(gateway: number, stop: { now: boolean }, answers: Answer[]) {
  for (let n = 0; !stop.now; n++) {
    try {
      const res = await fetch(`${fleet.urls[gateway]}/function/steady`, { method: 'POST', body: `${n}` })
      await res.arrayBuffer()
      answers.push({ gateway, status: res.status, at: Date.now() })
    } catch {
      answers.push({ gateway, status: 0, at: Date.now() })
      if (gateway === VICTIM) return
    }
  }
}

describe('a scheduled event delivered to every gateway process at once', () => {
  it('runs its slot once: the slot is claimed in the one Scheduler, whichever process asks', async () => {
    const ticker = provider.fn('ticker')
    const event = (url: string, time: number) =>
      fetch(`${url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time=${time}`).then((res) => res.text())
    // The first event registers the function (its sync finds the annotations); slots from the next minute run.
    await event(fleet.urls[0] as string, Date.now())
    const slot = Math.ceil((Date.now() + 1) / 60_000) * 60_000
    await Promise.all(fleet.urls.flatMap((url) => [event(url, slot), event(url, slot)]))
    expect(await until(() => ticker.served >= 1, 20_000, 50)).toBe(true)
    await Promise.all(fleet.urls.map((url) => event(url, slot)))
    await Promise.all(fleet.urls.map((url) => event(url, slot + 60_000)))
    expect(await until(() => ticker.served >= 2, 20_000, 50)).toBe(true)
    await sleep(1500)
    expect(ticker.calls.map((c) => c.headers['x-schedule-slot'])).toEqual([
      new Date(slot).toISOString(),
      new Date(slot + 60_000).toISOString(),
    ])
  }, 60_000)
})

describe('a gateway process killed mid-load', () => {
  it('leaves the others serving, counts nothing twice, and the wake it started completes', async () => {
    const stop = { now: false }
    const answers: Answer[] = []
    const clients = fleet.urls.flatMap((_, g) =>
      Array.from({ length: CLIENTS_PER_GATEWAY }, () => client(g, stop, answers)),
    )
    await sleep(1000)
    // The victim starts a wake: calls through it wait for a cold start of 3 s.
    const sleeper = provider.fn('sleeper')
    const waiting = spread([fleet.urls[VICTIM] as string], 10, 10, () => '/function/sleeper')
    expect(await until(() => sleeper.scales.length === 1, 10_000, 20)).toBe(true)
    fleet.kill(VICTIM)
    const killedAt = Date.now()
    // Its waiters lose their connection with it; the wake itself lives on in the function's object.
    expect((await waiting).filter((a) => a.status === 200)).toEqual([])
    const survivors = fleet.urls.filter((_, g) => g !== VICTIM)
    const joined = await spread(survivors, 10, 10, () => '/function/sleeper')
    expect(joined.map((a) => a.status)).toEqual(new Array(10).fill(200))
    expect(sleeper.scales.map((s) => s.replicas)).toEqual([1])
    // The woken function is served within the wake's cold start, not a second one.
    expect(Date.now() - (sleeper.scales[0]?.at ?? 0)).toBeLessThan(2 * COLD_START_MS)
    await sleep(1000)
    stop.now = true
    await Promise.all(clients)

    const after = answers.filter((a) => a.gateway !== VICTIM && a.at > killedAt)
    expect(after.length).toBeGreaterThan(10)
    expect(after.filter((a) => a.status !== 200)).toEqual([])
    expect(answers.filter((a) => a.gateway !== VICTIM && a.status !== 200)).toEqual([])

    // Counts: the survivors flush everything; the victim's last second may be lost, never doubled.
    const served = answers.filter((a) => a.status === 200)
    const survivorsServed = served.filter((a) => a.gateway !== VICTIM).length
    const total = async (url: string) =>
      counterTotal(
        await (await fetch(`${url}/metrics`)).text(),
        'gateway_function_invocation_total',
        'steady.openfaas-fn',
      )
    let counted: number[] = []
    await until(
      async () => {
        counted = await Promise.all(survivors.map(total))
        return counted.every((n) => n >= survivorsServed)
      },
      10_000,
      200,
    )
    await sleep(1500)
    counted = await Promise.all(survivors.map(total))
    expect(counted[0]).toBe(counted[1])
    expect(counted[0]).toBeGreaterThanOrEqual(survivorsServed)
    // A call the victim counted just before it died may never have reached its caller: at most one per client.
    expect(counted[0]).toBeLessThanOrEqual(served.length + CLIENTS_PER_GATEWAY)
  }, 90_000)
})
