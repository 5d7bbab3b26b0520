import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../scripts/production-worker.mjs'
import { rawRequest, requestText } from '../raw/harness'
import { gatewayFor, outcome, sample, until, type Workerd } from './gateway'
import {
  answer,
  FUNCTION,
  hang,
  resetMidBody,
  type ScriptedProvider,
  scriptedProvider,
} from './scripted-provider'

// Provider faults, on the production bundle in workerd: a provider that is
// gone, hangs, breaks a response half-way, or answers garbage. Each fault is
// scripted on a real server on loopback; workerd's own log of the refused or
// broken connections is captured, not printed.

describe('a provider that is down', () => {
  let gateway: Workerd
  beforeAll(async () => {
    // A port nothing listens on: free a moment ago, closed now.
    gateway = await gatewayFor(`http://127.0.0.1:${await freePort()}`)
  })
  afterAll(() => gateway?.close())

  it.each(['/function/echo', '/system/functions', '/healthz', '/system/info'])(
    '%s answers 502 at once, with a one-line reason',
    async (path) => {
      const started = Date.now()
      const res = await fetch(`${gateway.url}${path}`)
      expect(res.status).toBe(502)
      expect(res.headers.get('content-type')).toContain('text/plain')
      expect(await res.text()).toMatch(/^cannot reach the functions provider for \S+: .+\n$/)
      // A refused connection is known at once: no waiting for UPSTREAM_TIMEOUT (60 s here).
      expect(Date.now() - started).toBeLessThan(5_000)
    },
  )
})

describe('a provider that misbehaves', () => {
  let provider: ScriptedProvider
  let gateway: Workerd
  beforeAll(async () => {
    provider = await scriptedProvider()
    gateway = await gatewayFor(provider.url, {
      UPSTREAM_TIMEOUT: '1s',
      REPLICA_CACHE_TTL: '100ms',
      SYNC_INTERVAL: '300ms',
    })
  })
  afterEach(() => provider.heal())
  afterAll(async () => {
    await gateway?.close()
    await provider?.close()
  })

  const invoke = (name = FUNCTION) =>
    outcome(`${gateway.url}/function/${name}`, { method: 'POST', body: 'x' })

  describe('hangs', () => {
    it.each([
      ['an invocation', `/function/${FUNCTION}`, /^POST \/function\//, `/function/${FUNCTION}`],
      ['a management call', '/system/functions', /^GET \/system\/functions/, '/system/functions'],
      ['a health check', '/healthz', /^GET \/healthz/, '/healthz'],
      // A function the isolate has not seen yet: its status is looked up first, and that call hangs.
      ['a status lookup', '/function/unseen', /^GET \/system\/function\/unseen/, '/system/function/unseen'],
    ])(
      '%s gets 504 once UPSTREAM_TIMEOUT (1 s) has passed, naming the call',
      async (_, path, route, call) => {
        // Warm first, so the invocation's own call is what hangs.
        if (path === `/function/${FUNCTION}`) expect((await invoke()).status).toBe(200)
        provider.when(route, hang)
        const init = path.startsWith('/function/') ? { method: 'POST', body: 'x' } : undefined
        const res = await outcome(`${gateway.url}${path}`, init)
        expect(res).toMatchObject({ status: 504 })
        expect(res.body).toBe(`the functions provider did not answer ${call} within 1s\n`)
        expect(res.ms).toBeGreaterThanOrEqual(1_000)
        expect(res.ms).toBeLessThan(6_000)
      },
    )
  })

  describe('breaks its connection half-way through a response', () => {
    /** True for a 200 whose body is all the framing promised: what a broken response must never be. */
    const cleanComplete200 = (raw: Awaited<ReturnType<typeof rawRequest>>) => {
      if (raw.status !== 200) return false
      const length = /^content-length:\s*(\d+)/im.exec(raw.head)?.[1]
      if (length !== undefined) return Buffer.byteLength(raw.body, 'latin1') === Number(length)
      if (/^transfer-encoding:\s*chunked/im.test(raw.head)) return raw.body.endsWith('0\r\n\r\n')
      // Neither: the body runs to the connection's end, so a cut looks like an end.
      return true
    }

    it.each([
      ['a Content-Length of 1000', 1000],
      ['a chunked body', undefined],
    ])('after promising %s, the caller sees a broken response, never a clean 200', async (_, declared) => {
      expect((await invoke()).status).toBe(200)
      provider.when(/^POST \/function\//, resetMidBody('the first 36 bytes of a longer answer', declared))
      const raw = await rawRequest(
        gateway.port,
        requestText('POST', `/function/${FUNCTION}`, { body: 'x' }),
        15_000,
      )
      expect(cleanComplete200(raw), `${raw.head}\r\n\r\n${raw.body}`).toBe(false)
      // Whatever did arrive is the provider's bytes, not some other answer dressed as the function's.
      if (raw.status !== undefined) expect(raw.status).toBe(200)
    })
  })

  describe('answers garbage or truncated JSON', () => {
    const GARBAGE = [
      ['garbage', 'Internal error: <html>oops'],
      ['truncated JSON', '[{"name":"fn","namespace":"openfaas-fn","replicas":1,"availab'],
      ['JSON of the wrong shape', '{"items":[]}'],
    ]

    it.each(GARBAGE)(
      'to the function list (%s): 502 naming the call, then the next good answer works',
      async (_, text) => {
        provider.when(/^GET \/system\/functions/, answer(text))
        const bad = await outcome(`${gateway.url}/system/functions`)
        expect(bad).toMatchObject({
          status: 502,
          body: 'the functions provider answered /system/functions with invalid JSON\n',
        })
        provider.heal()
        const good = await fetch(`${gateway.url}/system/functions`)
        expect(good.status).toBe(200)
        expect(((await good.json()) as { name: string }[]).map((f) => f.name)).toEqual([FUNCTION])
      },
    )

    it.each(GARBAGE)('to one function status (%s): 502 naming the call', async (_, text) => {
      provider.when(/^GET \/system\/function\/fn/, answer(text === '{"items":[]}' ? '[]' : text))
      expect(await outcome(`${gateway.url}/system/function/${FUNCTION}`)).toMatchObject({
        status: 502,
        body: `the functions provider answered /system/function/${FUNCTION} with invalid JSON\n`,
      })
    })

    it('to the status lookup before a first invocation: 502, and the next good answer is not poisoned by it', async () => {
      const name = 'fresh'
      provider.when(/^GET \/system\/function\/fresh/, answer('{"name":"fresh","replicas":'))
      expect(await invoke(name)).toMatchObject({
        status: 502,
        body: `the functions provider answered /system/function/${name} with invalid JSON\n`,
      })
      expect(provider.since(0, /^\/function\/fresh/)).toEqual([])
      provider.heal()
      expect(await invoke(name)).toMatchObject({ status: 200, body: 'x' })
    })

    it('to the refresh of a function already serving: invocations go on, nothing is unlearnt', async () => {
      const name = 'serving'
      expect((await invoke(name)).status).toBe(200)
      provider.when(/^GET \/system\/function\/serving/, answer('not json'))
      const mark = provider.received.length
      // Past REPLICA_CACHE_TTL (100 ms) each invocation refreshes in the background and gets garbage.
      await until('two refreshes that got garbage', 15_000, async () => {
        expect(await invoke(name)).toMatchObject({ status: 200, body: 'x' })
        await new Promise((resolve) => setTimeout(resolve, 150))
        return provider.since(mark, /^\/system\/function\/serving/).length >= 2 ? true : undefined
      })
      expect(await invoke(name)).toMatchObject({ status: 200, body: 'x' })
    })

    it('to the replica sync: the gauges keep what was known, and follow the provider again once it is well', async () => {
      const gauge = async () =>
        sample(
          await (await fetch(`${gateway.url}/metrics`)).text(),
          'gateway_service_count',
          `function_name="${FUNCTION}.openfaas-fn"`,
        )
      // Invocations keep the sync loop running (SYNC_INTERVAL 300 ms).
      const traffic = async () => expect((await invoke()).status).toBe(200)
      await until('the sync to report the function', 20_000, async () => {
        await traffic()
        return (await gauge()) === 1 ? true : undefined
      })
      provider.when(/^GET \/system\/functions/, answer('[{"name":'))
      const mark = provider.received.length
      await until('two syncs that got garbage', 20_000, async () => {
        await traffic()
        return provider.since(mark, /^\/system\/functions\?/).length >= 2 ? true : undefined
      })
      expect(await gauge()).toBe(1)
      // Not taken for a deletion either: the function is still invoked, not refused as unknown.
      await traffic()
      provider.heal()
      const healed = provider.received.length
      await until('a good sync after the garbage', 20_000, async () => {
        await traffic()
        return provider.since(healed, /^\/system\/functions\?/).length >= 1 ? true : undefined
      })
      expect(await gauge()).toBe(1)
    })
  })
})
