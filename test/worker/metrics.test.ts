import { createExecutionContext, createScheduledController, runDurableObjectAlarm } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { MetricsBuffer } from '../../src/metrics/buffer'
import { shardOf } from '../../src/metrics/isolate'
import { replicaSync } from '../../src/scale/objects'
import { basic, gateway, gatewayWith, upstreamUrl } from './helpers'

// Metrics through the real Durable Objects: isolates' buffers, the shards
// that add them up, /metrics, and the replica sync loop.

let counter = 0
async function model(spec: Record<string, unknown> = {}): Promise<string> {
  const name = `modelled-m${Date.now().toString(36)}-${counter++}`
  const res = await fetch(`${upstreamUrl}/__control/model`, {
    method: 'POST',
    body: JSON.stringify({ name, replicas: 1, available: 1, ...spec }),
  })
  expect(res.status).toBe(201)
  return name
}

/** Reads /metrics until `check` passes: flushes run in the background, about once a second. */
async function metricsUntil(
  check: (text: string) => boolean,
  vars: Record<string, string> = {},
): Promise<string> {
  let text = ''
  for (let i = 0; i < 40; i++) {
    text = await (await gatewayWith(vars, '/metrics')).text()
    if (check(text)) return text
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
  return text
}

const sample = (text: string, name: string, labels: string) =>
  Number(
    new RegExp(`^${name}\\{${labels.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\} (\\S+)$`, 'm').exec(
      text,
    )?.[1] ?? Number.NaN,
  )

describe('/metrics', () => {
  it('counts every invocation exactly, from many concurrent callers', async () => {
    const name = await model()
    const fn = `function_name="${name}.openfaas-fn"`
    const callers = Array.from({ length: 5 }, () => ({ ...env }))
    const responses = await Promise.all(
      callers.flatMap((deployed) =>
        Array.from({ length: 40 }, (_, i) =>
          worker.fetch(
            new Request(`http://gateway.test/function/${name}`, { method: 'POST', body: `${i}` }),
            deployed,
            createExecutionContext(),
          ),
        ),
      ),
    )
    expect(responses.every((r) => r.status === 200)).toBe(true)
    const text = await metricsUntil(
      (t) => sample(t, 'gateway_function_invocation_total', `${fn},code="200"`) === 200,
    )
    expect(sample(text, 'gateway_function_invocation_total', `${fn},code="200"`), text).toBe(200)
    expect(sample(text, 'gateway_function_invocation_started', fn)).toBe(200)
    expect(sample(text, 'gateway_functions_seconds_count', `${fn},code="200"`)).toBe(200)
    expect(sample(text, 'gateway_functions_seconds_bucket', `${fn},code="200",le="+Inf"`)).toBe(200)
    expect(text).toMatch(/^# TYPE gateway_functions_seconds histogram$/m)
  })

  it('counts refusals by their status, and says what waking from zero cost', async () => {
    const cold = await model({ replicas: 0, available: 0, coldStartMs: 100 })
    const fn = `function_name="${cold}.openfaas-fn"`
    const woken = await Promise.all(
      Array.from({ length: 3 }, () => gatewayWith({ SCALE_FROM_ZERO_POLL: '20ms' }, `/function/${cold}`)),
    )
    expect(woken.map((r) => r.status)).toEqual([200, 200, 200])
    const text = await metricsUntil((t) => sample(t, 'gateway_scale_from_zero_waits_total', fn) === 3)
    expect(sample(text, 'gateway_scale_from_zero_waits_total', fn)).toBe(3)
    expect(sample(text, 'gateway_scale_from_zero_cold_starts_total', fn)).toBe(1)
    expect(sample(text, 'gateway_scale_from_zero_wait_seconds_total', fn)).toBeGreaterThanOrEqual(0.3)
  })

  it('includes the replica gauges of the last sync', async () => {
    await worker.scheduled(createScheduledController(), env, createExecutionContext())
    const text = await (await gateway('/metrics')).text()
    expect(sample(text, 'gateway_service_count', 'function_name="echo.openfaas-fn"')).toBe(1)
    expect(sample(text, 'gateway_service_available_replicas', 'function_name="echo.openfaas-fn"')).toBe(1)
  })

  it('is public with basic auth on, and wants a bearer token when METRICS_TOKEN is set', async () => {
    const auth = { BASIC_AUTH: 'true', BASIC_AUTH_USER: 'admin', BASIC_AUTH_PASSWORD: 'pw' }
    expect((await gatewayWith(auth, '/metrics')).status).toBe(200)
    const guarded = { ...auth, METRICS_TOKEN: 'scrape-token' }
    const without = await gatewayWith(guarded, '/metrics')
    expect(without.status).toBe(401)
    expect(without.headers.get('www-authenticate')).toContain('Bearer')
    // A Basic header where a bearer token is wanted is a malformed request (RFC 6750).
    expect(
      (await gatewayWith(guarded, '/metrics', { headers: { authorization: basic('admin', 'pw') } })).status,
    ).toBe(400)
    expect(
      (await gatewayWith(guarded, '/metrics', { headers: { authorization: 'Bearer wrong' } })).status,
    ).toBe(401)
    const ok = await gatewayWith(guarded, '/metrics', { headers: { authorization: 'Bearer scrape-token' } })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  })

  it('fills invocationCount in function statuses from these counts', async () => {
    const name = await model()
    for (let i = 0; i < 7; i++) expect((await gateway(`/function/${name}`)).status).toBe(200)
    await metricsUntil(
      (t) =>
        sample(t, 'gateway_function_invocation_total', `function_name="${name}.openfaas-fn",code="200"`) ===
        7,
    )
    const one = (await (await gateway(`/system/function/${name}`)).json()) as { invocationCount: number }
    expect(one.invocationCount).toBe(7)
  })
})

describe('flushing', () => {
  const shard = () => shardOf(env, 15)
  const one = (buffer: MetricsBuffer, fn: string) => {
    buffer.started(fn)
    buffer.ended(fn, 200, 0.01)
  }

  it('keeps a batch whose flush failed and sends it again, so nothing is lost', async () => {
    const fn = `lost-${counter++}.ns`
    let fail = true
    const buffer = new MetricsBuffer(async (flush) => {
      if (fail) throw new Error('shard unreachable')
      await shard().apply(flush)
    })
    one(buffer, fn)
    one(buffer, fn)
    expect(await buffer.flush()).toBe(false)
    one(buffer, fn)
    fail = false
    expect(await buffer.flush()).toBe(true) // the kept batch: 2
    expect(await buffer.flush()).toBe(true) // what came after: 1
    expect((await shard().snapshot()).counts[fn]?.codes['200']?.count).toBe(3)
  })

  it('applies a batch once when its answer was lost and it is sent again', async () => {
    const fn = `doubled-${counter++}.ns`
    let answers = 0
    const buffer = new MetricsBuffer(async (flush) => {
      await shard().apply(flush)
      // Applied, but the isolate never hears so: it will send the same batch again.
      if (answers++ === 0) throw new Error('connection lost after apply')
    })
    one(buffer, fn)
    expect(await buffer.flush()).toBe(false)
    expect(await buffer.flush()).toBe(true)
    expect((await shard().snapshot()).counts[fn]?.codes['200']?.count).toBe(1)
  })

  it.each([
    ['before', true],
    ['after', false],
  ])(
    'sends a batch again when its flush times out, and counts it once when the late answer lands %s the retry',
    async (_, lateFirst) => {
      const fn = `late-${counter++}.ns`
      let land: () => void = () => {}
      let landed: Promise<unknown> = Promise.resolve()
      let calls = 0
      const buffer = new MetricsBuffer(
        async (flush) => {
          if (calls++ > 0) return void (await shard().apply(flush))
          // The shard gets this one, but only after the isolate has stopped waiting for its answer.
          landed = new Promise<void>((resolve) => {
            land = resolve
          }).then(() => shard().apply(flush))
          await landed
        },
        1000,
        100,
      )
      one(buffer, fn)
      one(buffer, fn)
      expect(await buffer.flush()).toBe(false)
      one(buffer, fn)
      if (lateFirst) {
        land()
        await landed
      }
      expect(await buffer.flush()).toBe(true) // the kept batch (2), under the same number
      if (!lateFirst) {
        land()
        await landed
      }
      expect(await buffer.flush()).toBe(true) // what came after (1)
      expect((await shard().snapshot()).counts[fn]?.codes['200']?.count).toBe(3)
    },
  )

  it('never runs two flushes at once: one asked for during another goes after it, with what came since', async () => {
    const fn = `serial-${counter++}.ns`
    const sent: number[] = []
    const buffer = new MetricsBuffer(async (flush) => {
      sent.push(flush.seq)
      await new Promise((resolve) => setTimeout(resolve, 50))
      await shard().apply(flush)
    })
    one(buffer, fn)
    const first = buffer.flush()
    one(buffer, fn)
    const second = buffer.flush()
    expect(await Promise.all([first, second])).toEqual([true, true])
    expect(sent).toEqual([1, 2])
    expect((await shard().snapshot()).counts[fn]?.codes['200']?.count).toBe(2)
  })

  it('reports a call still in flight again when asked, though nothing was counted since (a WebSocket)', async () => {
    const fn = `held-${counter++}.ns`
    const flushes: { counts: object; inflight: Record<string, number> }[] = []
    const buffer = new MetricsBuffer(async (flush) => {
      flushes.push({ counts: flush.counts, inflight: flush.inflight })
    }, 0)
    buffer.started(fn)
    expect(await buffer.flush()).toBe(true)
    // Nothing new: a plain flush sends nothing, so the shards would forget this isolate's gauge.
    expect(await buffer.flush()).toBe(true)
    expect(flushes).toHaveLength(1)
    const waited: Promise<unknown>[] = []
    buffer.reportInFlight({ waitUntil: (promise) => waited.push(promise) })
    await Promise.all(waited)
    expect(flushes).toHaveLength(2)
    expect(flushes[1]).toEqual({ counts: {}, inflight: { [fn]: 1 } })
  })
})

describe('replica sync', () => {
  it('runs from the cron trigger: refreshes gauges and tells each function what the provider reports', async () => {
    await worker.scheduled(createScheduledController(), env, createExecutionContext())
    const replicas = await replicaSync(env).replicas()
    expect(replicas['echo.openfaas-fn']).toMatchObject({ replicas: 1, available: 1 })
    const state = env.FUNCTION_STATE.get(env.FUNCTION_STATE.idFromName('echo.openfaas-fn'))
    expect((await state.stats()).seen).toMatchObject({ kind: 'found', replicas: 1, available: 1 })
  })

  it('loops while there is traffic and stops when it ends', async () => {
    const sync = replicaSync(env)
    // Traffic reaches the loop through a metrics shard.
    const name = await model()
    expect((await gateway(`/function/${name}`)).status).toBe(200)
    let looping = false
    for (let i = 0; i < 40 && !looping; i++) {
      looping = await sync.looping()
      if (!looping) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(looping).toBe(true)
    // With SYNC_INTERVAL at 300ms in these tests, two intervals without traffic end it.
    for (let i = 0; i < 30 && looping; i++) {
      await runDurableObjectAlarm(sync)
      looping = await sync.looping()
      if (looping) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(looping).toBe(false)
    await sync.activity()
    expect(await sync.looping()).toBe(true)
  })
})
