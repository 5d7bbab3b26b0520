import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import { loadConfig } from '../../src/config'
import worker from '../../src/index'
import { existence } from '../../src/scale/existence'
import { replicaCache } from '../../src/scale/replica-cache'
import { gatewayWith, upstreamUrl } from './helpers'

// Scale from zero against a provider stub that models replicas and cold
// starts (test/upstream/replicas.ts), with the real Durable Objects.

type Model = {
  scaleCalls: number[]
  invocations: number
  statusCalls: number
  replicas: number
  available: number
}

let counter = 0
/** A fresh modelled function for one test; `modelled-` names are the stub's. */
async function model(spec: Record<string, unknown> = {}): Promise<string> {
  const name = `modelled-${Date.now().toString(36)}-${counter++}`
  const res = await fetch(`${upstreamUrl}/__control/model`, {
    method: 'POST',
    body: JSON.stringify({ name, coldStartMs: 300, ...spec }),
  })
  expect(res.status).toBe(201)
  return name
}

async function modelled(name: string): Promise<Model> {
  return (await fetch(`${upstreamUrl}/__control/model?name=${name}`)).json()
}

const FAST = { SCALE_FROM_ZERO_POLL: '20ms', SCALE_FROM_ZERO_TIMEOUT: '2s' }

/**
 * One deployment's env, reused across calls so the isolate's cache and config
 * are shared as in production. `settle` waits for the call's background work
 * (a cache refresh) too.
 */
function deployment(vars: Record<string, string>) {
  const deployed = { ...env, ...vars }
  return async (path: string, init?: RequestInit, settle = false) => {
    const ctx = createExecutionContext()
    const response = await worker.fetch(new Request(`http://gateway.test${path}`, init), deployed, ctx)
    if (settle) await waitOnExecutionContext(ctx)
    return response
  }
}

function stateOf(name: string) {
  return env.FUNCTION_STATE.get(env.FUNCTION_STATE.idFromName(`${name}.openfaas-fn`))
}

describe('scale from zero', () => {
  it('wakes a function at zero once for 200 concurrent invocations, and all of them succeed', async () => {
    const name = await model()
    const call = deployment(FAST)
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => call(`/function/${name}`, { method: 'POST', body: `call ${i}` })),
    )
    for (const [i, res] of responses.entries()) {
      expect(res.status).toBe(200)
      expect(await res.text()).toBe(`served by ${name}: call ${i}`)
      expect(Number(res.headers.get('x-scale-from-zero-seconds'))).toBeGreaterThanOrEqual(0.3)
    }
    const after = await modelled(name)
    expect(after.scaleCalls).toEqual([1])
    expect(after.invocations).toBe(200)
  })

  it('sends one scale request when 200 callers reach the Durable Object directly, as isolates would', async () => {
    const name = await model()
    const loaded = loadConfig({ ...env, ...FAST })
    if (!loaded.ok) throw new Error(loaded.error)
    const fn = { name, namespace: 'openfaas-fn' }
    // Separate stubs, as separate isolates would hold.
    const results = await Promise.all(
      Array.from({ length: 200 }, () => stateOf(name).ready(fn, loaded.config)),
    )
    expect(new Set(results.map((r) => r.kind))).toEqual(new Set(['ready']))
    expect((await modelled(name)).scaleCalls).toEqual([1])
  })

  it('wakes to com.openfaas.scale.min replicas when it is above 1', async () => {
    const name = await model({ labels: { 'com.openfaas.scale.min': '3' } })
    const res = await deployment(FAST)(`/function/${name}`)
    expect(res.status).toBe(200)
    expect((await modelled(name)).scaleCalls).toEqual([3])
  })

  it('makes no Durable Object call for 1,000 sequential invocations of a ready function', async () => {
    const name = await model({ replicas: 1, available: 1 })
    const call = deployment({ REPLICA_CACHE_TTL: '10m' })
    expect((await call(`/function/${name}`)).status).toBe(200)
    const before = await stateOf(name).stats()
    for (let i = 0; i < 1000; i++) {
      const res = await call(`/function/${name}`)
      expect(res.status).toBe(200)
      expect(res.headers.has('x-scale-from-zero-seconds')).toBe(false)
      await res.arrayBuffer()
    }
    const after = await stateOf(name).stats()
    expect(after.calls - before.calls).toBe(0)
    expect((await modelled(name)).invocations).toBe(1001)
  })

  it('refreshes a stale entry in the background while still forwarding at once', async () => {
    const name = await model({ replicas: 1, available: 1 })
    const call = deployment({ REPLICA_CACHE_TTL: '50ms' })
    expect((await call(`/function/${name}`)).status).toBe(200)
    const before = await stateOf(name).stats()
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect((await call(`/function/${name}`, undefined, true)).status).toBe(200)
    expect((await stateOf(name).stats()).calls - before.calls).toBe(1)
  })

  it('asks first about a function this isolate last served long ago: it may have been idled since', async () => {
    const name = await model({ replicas: 0, available: 0, coldStartMs: 100 })
    // Served here a minute ago; since then the idler, in another isolate, scaled it to 0.
    replicaCache.set(`${name}.openfaas-fn`, true, Date.now() - 60_000)
    const res = await deployment(FAST)(`/function/${name}`, { method: 'POST', body: 'again' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(`served by ${name}: again`)
    expect(Number(res.headers.get('x-scale-from-zero-seconds'))).toBeGreaterThan(0)
    expect((await modelled(name)).scaleCalls).toEqual([1])
  })

  it('answers every waiter 504 naming the function when it never becomes ready, forwarding nothing', async () => {
    const name = await model({ neverReady: true })
    const call = deployment({ SCALE_FROM_ZERO_POLL: '20ms', SCALE_FROM_ZERO_TIMEOUT: '500ms' })
    const responses = await Promise.all(Array.from({ length: 5 }, () => call(`/function/${name}`)))
    for (const res of responses) {
      expect(res.status).toBe(504)
      expect(await res.text()).toMatch(
        new RegExp(
          `^function ${name}\\.openfaas-fn did not become ready within 0\\.[5-9]\\d*s of scaling from zero\\n$`,
        ),
      )
    }
    const after = await modelled(name)
    expect(after.invocations).toBe(0)
    expect(after.scaleCalls).toEqual([1])
  })

  it('answers 502 with the provider reason when the scale request fails', async () => {
    const name = await model({ scaleStatus: 500 })
    const res = await deployment(FAST)(`/function/${name}`)
    expect(res.status).toBe(502)
    expect(await res.text()).toContain('the cluster is full')
    expect((await modelled(name)).invocations).toBe(0)
  })

  it('answers 404 for a function the provider does not know, forwarding nothing', async () => {
    const name = `modelled-unknown-${counter++}`
    const res = await deployment(FAST)(`/function/${name}`)
    expect(res.status).toBe(404)
    expect(await res.text()).toBe(`no such function: ${name}.openfaas-fn\n`)
  })

  it('drains a function scaled to 0 through the API, and the next invocation wakes it', async () => {
    const name = await model({ replicas: 1, available: 1 })
    const call = deployment({ ...FAST, REPLICA_CACHE_TTL: '100ms' })
    expect((await call(`/function/${name}`)).status).toBe(200)
    const scaled = await call(`/system/scale-function/${name}`, {
      method: 'POST',
      body: JSON.stringify({ serviceName: name, replicas: 0 }),
    })
    expect(scaled.status).toBe(202)
    expect(await scaled.text()).toContain(`draining ${name}.openfaas-fn: it scales to 0 once no call`)
    // Until it closes, a call is served by the replica still up.
    expect((await call(`/function/${name}`)).status).toBe(200)
    await vi.waitFor(async () => expect((await modelled(name)).scaleCalls).toEqual([0]), {
      timeout: 10_000,
      interval: 100,
    })
    const status = (await (await call(`/system/function/${name}`)).json()) as { replicas: number }
    expect(status.replicas).toBe(0)
    const woken = await call(`/function/${name}`, { method: 'POST', body: 'again' })
    expect(woken.status).toBe(200)
    expect(await woken.text()).toBe(`served by ${name}: again`)
    expect(woken.headers.get('x-scale-from-zero-seconds')).not.toBeNull()
    expect((await modelled(name)).scaleCalls).toEqual([0, 1])
  })

  it('answers 404 once a function is deleted through the API, and serves it again once redeployed', async () => {
    const name = await model({ replicas: 1, available: 1 })
    const call = deployment({ ...FAST, REPLICA_CACHE_TTL: '10m' })
    expect((await call(`/function/${name}`)).status).toBe(200)
    const deleted = await call('/system/functions', {
      method: 'DELETE',
      body: JSON.stringify({ functionName: name }),
    })
    expect(deleted.status).toBe(202)
    const gone = await call(`/function/${name}`)
    expect(gone.status).toBe(404)
    expect(await gone.text()).toBe(`no such function: ${name}.openfaas-fn\n`)

    const deployed = await call('/system/functions', {
      method: 'POST',
      body: JSON.stringify({ service: name, image: 'functions/modelled:latest' }),
    })
    expect(deployed.status).toBe(202)
    const back = await call(`/function/${name}`, { method: 'POST', body: 'back' })
    expect(back.status).toBe(200)
    expect(await back.text()).toBe(`served by ${name}: back`)
  })

  it('forwards blindly with SCALE_FROM_ZERO=false', async () => {
    const name = await model()
    const res = await gatewayWith({ SCALE_FROM_ZERO: 'false' }, `/function/${name}`)
    expect(res.status).toBe(503)
    expect((await modelled(name)).scaleCalls).toEqual([])
  })

  it('says whether a function exists, with its labels, without waking it', async () => {
    const name = await model({ labels: { 'com.openfaas.retry.attempts': '3' } })
    const loaded = loadConfig({ ...env, ...FAST })
    if (!loaded.ok) throw new Error(loaded.error)
    const fn = { name, namespace: 'openfaas-fn' }
    expect(await existence(env, loaded.config, fn)).toEqual({ kind: 'found' })
    expect(await stateOf(name).lookup(fn, loaded.config)).toEqual({
      kind: 'found',
      available: 0,
      labels: { 'com.openfaas.retry.attempts': '3' },
    })
    const unknown = { name: `modelled-unknown-${counter++}`, namespace: 'openfaas-fn' }
    expect(await existence(env, loaded.config, unknown)).toEqual({ kind: 'missing' })
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect((await modelled(name)).scaleCalls).toEqual([])
  })

  it('finishes the wake for the others when one waiting caller goes away', async () => {
    const name = await model()
    const call = deployment(FAST)
    const gone = new AbortController()
    const leaving = call(`/function/${name}`, { signal: gone.signal }).catch((error: unknown) => error)
    const staying = call(`/function/${name}`)
    setTimeout(() => gone.abort(), 50)
    await leaving
    const res = await staying
    expect(res.status).toBe(200)
    expect((await modelled(name)).scaleCalls).toEqual([1])
  })
})
