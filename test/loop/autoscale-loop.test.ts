import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startProvider } from '../../provider/src/provider.ts'
import { startWorkerd } from '../../scripts/production-worker.mjs'
import { productionBundle } from '../raw/harness.ts'

// The built-in autoscaler and idler for real: the production bundle in
// workerd (whose Durable Object alarms run the sync loop) in front of the dev
// provider, functions as processes, load from this process. Windows are
// shortened; everything is on loopback and bounded in time.

const USER = 'admin'
const PASSWORD = 'change-me'
const auth = { authorization: `Basic ${btoa(`${USER}:${PASSWORD}`)}` }

let dir: string
let provider: Awaited<ReturnType<typeof startProvider>>
let gateway: Awaited<ReturnType<typeof startWorkerd>>

/** The fields of GET /system/scaling these tests read (src/scale/report.ts has them all). */
type FunctionScaling = {
  name: string
  replicas: number
  desired: number
  recommended: number | null
  alertFloor: number | null
  status: { action: string; reason: string }
  lastDecision: { action: string; from: number; to: number } | null
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor<T>(what: string, ms: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await attempt().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) {
      const scaling = await fetch(`${gateway.url}/system/scaling`, { headers: auth }).then((r) => r.text())
      throw new Error(`timed out after ${ms} ms waiting for ${what}\n${scaling}\n${gateway.output()}`)
    }
    await sleep(100)
  }
}

async function deploy(name: string, labels: Record<string, string>, envProcess = 'cat'): Promise<void> {
  const res = await fetch(`${gateway.url}/system/functions`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ service: name, image: 'functions/alpine:latest', envProcess, labels }),
  })
  expect(res.status).toBe(202)
  await waitFor(`${name} to serve`, 10_000, async () =>
    (await invoke(name)).status === 200 ? true : undefined,
  )
}

const invoke = (name: string, body = 'x') =>
  fetch(`${gateway.url}/function/${name}`, { method: 'POST', body }).then(async (res) => {
    await res.arrayBuffer()
    return res
  })

async function replicasOf(name: string): Promise<number> {
  const res = await fetch(`${gateway.url}/system/function/${name}`, { headers: auth })
  return ((await res.json()) as { replicas: number }).replicas
}

async function scalingOf(name: string) {
  const res = await fetch(`${gateway.url}/system/scaling`, { headers: auth })
  return ((await res.json()) as { functions: FunctionScaling[] }).functions.find((f) => f.name === name)
}

/** Calls `name` at a steady `rps` until stopped, without waiting for answers; every status is kept. */
function drive(name: string, rps: number) {
  const statuses: number[] = []
  let running = true
  const pending = new Set<Promise<void>>()
  const done = (async () => {
    const start = performance.now()
    for (let i = 0; running && i < 5_000; i++) {
      const call = invoke(name, `${i}`).then(
        (res) => {
          statuses.push(res.status)
        },
        () => {
          statuses.push(0)
        },
      )
      pending.add(call)
      void call.finally(() => pending.delete(call))
      await sleep(Math.max(0, start + ((i + 1) * 1000) / rps - performance.now()))
    }
    await Promise.all(pending)
  })()
  return {
    statuses,
    async stop() {
      running = false
      await done
    },
  }
}

/** Samples the replica count every 250 ms until stopped. */
function watch(name: string) {
  const seen: number[] = []
  let running = true
  const done = (async () => {
    for (let i = 0; running && i < 1_000; i++) {
      seen.push(await replicasOf(name).catch(() => -1))
      await sleep(250)
    }
  })()
  return {
    seen,
    async stop() {
      running = false
      await done
    },
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgefaas-autoscale-'))
  provider = await startProvider({ port: 0, stateDir: join(dir, 'provider'), coldStartMs: 50, log: () => {} })
  gateway = await startWorkerd({
    bundleDir: productionBundle(),
    vars: {
      FUNCTIONS_PROVIDER_URL: provider.url,
      BASIC_AUTH: 'true',
      BASIC_AUTH_USER: USER,
      BASIC_AUTH_PASSWORD: PASSWORD,
      SYNC_INTERVAL: '500ms',
      // Isolates trust a ready function for 15 × this without asking: 1.5 s, under the 2 s idle durations here.
      REPLICA_CACHE_TTL: '100ms',
      AUTOSCALE_DOWN_WINDOW: '3s',
    },
  })
}, 60_000)

afterAll(async () => {
  await gateway?.close()
  await provider?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('autoscaler, end to end', () => {
  it('scales a min 1 / max 2 function to 2 under ~10 rps at target 5, and back to 1 after the window', async () => {
    const name = 'steady'
    await deploy(name, {
      'com.openfaas.scale.min': '1',
      'com.openfaas.scale.max': '2',
      'com.openfaas.scale.target': '5',
    })
    const watcher = watch(name)
    const load = drive(name, 10)
    const started = Date.now()
    await waitFor('scale up to 2', 15_000, async () => ((await replicasOf(name)) === 2 ? true : undefined))
    const upAfter = Date.now() - started
    // Steady load: it stays at 2, and never goes past max.
    await sleep(3_000)
    expect(await replicasOf(name)).toBe(2)
    await load.stop()
    const stopped = Date.now()
    await waitFor('scale down to 1', 20_000, async () => ((await replicasOf(name)) === 1 ? true : undefined))
    const downAfter = Date.now() - stopped
    await watcher.stop()

    expect(load.statuses.length).toBeGreaterThan(50)
    expect(load.statuses.every((s) => s === 200)).toBe(true)
    expect(upAfter).toBeLessThan(10_000)
    // The 3 s down window, after the rate over the last 5 s has dropped below what 2 replicas serve.
    expect(downAfter).toBeGreaterThanOrEqual(3_000)
    expect(Math.max(...watcher.seen)).toBe(2)
    const log = gateway.output()
    expect(log).toMatch(
      new RegExp(`autoscaler: ${name}\\.openfaas-fn up 1 -> 2 \\(load [\\d.]+ rps, target 5`),
    )
    expect(log).toMatch(new RegExp(`autoscaler: ${name}\\.openfaas-fn down 2 -> 1 .*3s down window`))
    expect(await scalingOf(name)).toMatchObject({
      desired: 1,
      lastDecision: { action: 'down', from: 2, to: 1 },
    })
  }, 60_000)

  it('leaves a function with min == max alone under load', async () => {
    const name = 'pinned'
    await deploy(name, {
      'com.openfaas.scale.min': '2',
      'com.openfaas.scale.max': '2',
      'com.openfaas.scale.target': '1',
    })
    const load = drive(name, 10)
    await waitFor('a verdict on the load', 10_000, async () =>
      (await scalingOf(name))?.status.action === 'off' ? true : undefined,
    )
    await sleep(2_000)
    await load.stop()
    expect(await replicasOf(name)).toBe(2)
    expect(await scalingOf(name)).toMatchObject({
      status: { action: 'off', reason: 'min == max (2)' },
      lastDecision: null,
    })
    expect(gateway.output()).not.toMatch(new RegExp(`autoscaler: ${name}\\.openfaas-fn (up|down)`))
  }, 30_000)
})

describe('idler, end to end', () => {
  it('scales a scale.zero=true function to 0 once idle, and the next call wakes it', async () => {
    const name = 'sleepy'
    await deploy(name, { 'com.openfaas.scale.zero': 'true', 'com.openfaas.scale.zero-duration': '2s' })
    const load = drive(name, 5)
    await sleep(2_000)
    await load.stop()
    const stopped = Date.now()
    await waitFor('idling to 0', 15_000, async () => ((await replicasOf(name)) === 0 ? true : undefined))
    expect(Date.now() - stopped).toBeGreaterThanOrEqual(2_000)
    expect(gateway.output()).toMatch(new RegExp(`idler: ${name}\\.openfaas-fn idle 1 -> 0`))

    const woken = await invoke(name, 'wake up')
    expect(woken.status).toBe(200)
    expect(Number(woken.headers.get('x-scale-from-zero-seconds'))).toBeGreaterThan(0)
    expect(await replicasOf(name)).toBe(1)
  }, 40_000)

  it('never idles a function while a call to it is in flight', async () => {
    const name = 'patient'
    // Sleeps for as many seconds as the body says, then answers.
    const script = join(dir, 'patient.sh')
    writeFileSync(script, '#!/bin/sh\nread -r seconds\nsleep "$seconds"\necho done\n')
    chmodSync(script, 0o755)
    await deploy(
      name,
      { 'com.openfaas.scale.zero': 'true', 'com.openfaas.scale.zero-duration': '2s' },
      script,
    )
    const watcher = watch(name)
    const long = invoke(name, '6')
    await sleep(300)
    expect((await invoke(name, '0')).status).toBe(200)
    const answered = await long
    const idleDuringCall = watcher.seen.includes(0)
    await waitFor('idling once the call ended', 15_000, async () =>
      (await replicasOf(name)) === 0 ? true : undefined,
    )
    await watcher.stop()
    expect(answered.status).toBe(200)
    expect(idleDuringCall).toBe(false)
  }, 40_000)
})

describe('AlertManager scaling beside the autoscaler', () => {
  const alert = (status: 'firing' | 'resolved', fn: string) =>
    fetch(`${gateway.url}/system/alert`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        version: '4',
        status,
        receiver: 'scale-up',
        alerts: [
          { status, labels: { alertname: 'APIHighInvocationRate', function_name: `${fn}.openfaas-fn` } },
        ],
      }),
    }).then((res) => res.text())

  it('a firing alert sets a floor the autoscaler scales past for load but never below; resolved, it is the autoscaler’s', async () => {
    const name = 'alerted'
    await deploy(name, {
      'com.openfaas.scale.min': '1',
      'com.openfaas.scale.max': '4',
      'com.openfaas.scale.factor': '50',
      'com.openfaas.scale.target': '5',
      'com.openfaas.scale.down-window': '2s',
    })
    expect(await alert('firing', name)).toBe(`${name}.openfaas-fn: firing, 1 -> 3\n`)
    const watcher = watch(name)
    // Light load (asks for 1) for longer than the rate span and the down window: held at the floor.
    const light = drive(name, 2)
    await waitFor('a verdict on the light load', 10_000, async () =>
      (await scalingOf(name))?.recommended === 1 ? true : undefined,
    )
    await sleep(4_000)
    await light.stop()
    expect(await scalingOf(name)).toMatchObject({ alertFloor: 3, replicas: 3, status: { action: 'hold' } })
    // Heavy load (~25 rps asks for 6, max 4): past the floor.
    const heavy = drive(name, 25)
    await waitFor('scale past the floor', 15_000, async () =>
      (await replicasOf(name)) === 4 ? true : undefined,
    )
    await heavy.stop()
    // Load gone: down to the floor, not below.
    await waitFor('back to the floor', 20_000, async () =>
      (await replicasOf(name)) === 3 ? true : undefined,
    )
    await sleep(3_000)
    expect(await replicasOf(name)).toBe(3)
    // Resolved: back to min, and the autoscaler keeps it there without load.
    expect(await alert('resolved', name)).toBe(`${name}.openfaas-fn: resolved, 3 -> 1\n`)
    await sleep(3_000)
    await watcher.stop()
    expect(await replicasOf(name)).toBe(1)
    expect(await scalingOf(name)).toMatchObject({ alertFloor: null })
    // While the alert fired, the function never went below its floor.
    const firingSamples = watcher.seen.slice(0, watcher.seen.lastIndexOf(3) + 1)
    expect(Math.min(...firingSamples)).toBe(3)
    expect(light.statuses.concat(heavy.statuses).every((s) => s === 200)).toBe(true)
  }, 90_000)
})
