import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import worker from '../../src/index'
import { awaitCallbacks, callbackTo, defineFunction, header } from './async-helpers'
import { basic, gateway, gatewayWith, received, tag, upstreamUrl } from './helpers'

// The call log, trace context and Server-Timing (README, "Observability"): what each kind of call
// writes, read from the console of the tests' isolate, which the gateway, its consumer and its
// Durable Objects share.

type Line = Record<string, unknown> & { kind: string; status: number; traceId: string }

/** Every call-log line written from now until the test ends, whatever its level. */
function captureLines(): Line[] {
  const lines: Line[] = []
  for (const level of ['log', 'warn', 'error'] as const) {
    const spy = vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      const [first] = args
      if (args.length !== 1 || typeof first !== 'string' || !first.startsWith('{"kind":')) return
      lines.push({ ...(JSON.parse(first) as Line), level })
    })
    onTestFinished(() => spy.mockRestore())
  }
  return lines
}

const TRACE = '0af7651916cd43dd8448eb211c80319c'
const PARENT = 'b7ad6b7169203331'
const VALID = `00-${TRACE}-${PARENT}-01`
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

function parts(value: string | null | undefined) {
  const match = TRACEPARENT.exec(value ?? '')
  if (!match) throw new Error(`not a traceparent: ${value}`)
  return { traceId: match[1] as string, parentId: match[2] as string, flags: match[3] as string }
}

/** A deterministic stream of trace ids (mulberry32): the seed fixes which calls a sample keeps. */
function traceIds(seed: number, count: number): string[] {
  let state = seed
  const next = () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0).toString(16).padStart(8, '0')
  }
  return Array.from({ length: count }, () => next() + next() + next() + next())
}

describe('one line per call', () => {
  it('logs a synchronous call once, with what an operator needs to find and judge it', async () => {
    const lines = captureLines()
    const t = tag()
    const res = await gateway('/function/echo.openfaas-fn/a/b?secret=query', {
      method: 'POST',
      body: 'twelve bytes',
      headers: { ...t.headers, traceparent: VALID, 'cf-ray': '8c3a1b2c3d4e5f60-AMS' },
    })
    expect(res.status).toBe(200)
    const callId = res.headers.get('x-call-id')
    const mine = lines.filter((l) => l.callId === callId)
    expect(mine).toHaveLength(1)
    const [line] = mine
    expect(line).toMatchObject({
      kind: 'sync',
      callId,
      function: 'echo',
      namespace: 'openfaas-fn',
      method: 'POST',
      path: '/function/echo.openfaas-fn/a/b',
      status: 200,
      bytesIn: 12,
      colo: 'AMS',
      traceId: TRACE,
      level: 'log',
    })
    expect(line?.durationMs).toBeGreaterThanOrEqual(line?.upstreamMs as number)
    expect(line?.upstreamMs).toBeGreaterThanOrEqual(0)
    // The echo function streams its answer (no Content-Length): a size not known is left out.
    expect(line).not.toHaveProperty('bytesOut')
    expect(line).not.toHaveProperty('coldStartMs')
    expect(line).not.toHaveProperty('attempt')
    expect(JSON.stringify(line)).not.toContain('secret=query')
  })

  it('logs a failed call at warn or error level, with the status the caller got', async () => {
    const lines = captureLines()
    const notFound = await gateway('/function/status?code=404')
    const failed = await gateway('/function/status?code=503')
    const byId = (res: Response) => lines.filter((l) => l.callId === res.headers.get('x-call-id'))
    expect(byId(notFound)).toMatchObject([{ kind: 'sync', status: 404, level: 'warn' }])
    expect(byId(failed)).toMatchObject([{ kind: 'sync', status: 503, level: 'error' }])
  })

  it('logs the wait of a call that woke its function from zero as coldStartMs, and in Server-Timing', async () => {
    const name = `modelled-log-${Date.now().toString(36)}`
    await fetch(`${upstreamUrl}/__control/model`, {
      method: 'POST',
      body: JSON.stringify({ name, coldStartMs: 300 }),
    })
    const lines = captureLines()
    const res = await gatewayWith(
      { SCALE_FROM_ZERO_POLL: '20ms', SCALE_FROM_ZERO_TIMEOUT: '2s' },
      `/function/${name}`,
      { method: 'POST', body: 'wake' },
    )
    expect(res.status).toBe(200)
    const [line] = lines.filter((l) => l.callId === res.headers.get('x-call-id'))
    expect(line?.coldStartMs).toBeGreaterThanOrEqual(300)
    const wake = /(?:^|, )wake;dur=(\d+)/.exec(res.headers.get('server-timing') ?? '')
    expect(Number(wake?.[1])).toBe(line?.coldStartMs)
  })

  it('logs a 404 for a function that does not exist, which reaches no function', async () => {
    const name = `modelled-missing-${Date.now().toString(36)}`
    const lines = captureLines()
    const res = await gateway(`/function/${name}`)
    expect(res.status).toBe(404)
    expect(lines.filter((l) => l.function === name)).toMatchObject([
      { kind: 'sync', status: 404, path: `/function/${name}` },
    ])
    expect(res.headers.get('server-timing')).toMatch(/^gateway;dur=\d+, upstream;dur=0$/)
  })

  it('logs an asynchronous call when it is accepted, when it runs and when its callback is delivered, in one trace', async () => {
    const lines = captureLines()
    const name = await defineFunction()
    const cb = callbackTo('?token=do-not-log')
    const res = await gateway(`/async-function/${name}/sub?x=1`, {
      method: 'POST',
      body: 'async body',
      headers: { 'x-callback-url': cb.url, traceparent: VALID, tracestate: 'vendor=abc' },
    })
    expect(res.status).toBe(202)
    const callId = res.headers.get('x-call-id') as string
    const accepted = parts(res.headers.get('traceparent'))
    expect(accepted.traceId).toBe(TRACE)
    expect(accepted.parentId).not.toBe(PARENT)
    expect(res.headers.get('server-timing')).toMatch(/^gateway;dur=\d+$/)

    const [callback] = await awaitCallbacks(cb.id)
    // The callback's line is written once the receiver has answered.
    await vi.waitUntil(() => lines.some((l) => l.callId === callId && l.kind === 'callback'))
    const mine = lines.filter((l) => l.callId === callId)
    expect(mine.map((l) => l.kind)).toEqual(['enqueue', 'async', 'callback'])
    const [enqueue, run, delivery] = mine
    expect(enqueue).toMatchObject({
      function: name,
      namespace: 'openfaas-fn',
      method: 'POST',
      path: `/async-function/${name}/sub`,
      status: 202,
      bytesIn: 10,
      traceId: TRACE,
    })
    expect(run).toMatchObject({
      path: `/async-function/${name}/sub`,
      status: 200,
      attempt: 1,
      bytesIn: 10,
      traceId: TRACE,
    })
    expect(run?.upstreamMs).toBeGreaterThanOrEqual(0)
    expect(delivery).toMatchObject({
      method: 'POST',
      status: 204,
      attempt: 1,
      traceId: TRACE,
      callback: new URL(cb.url).origin,
    })
    expect(JSON.stringify(mine)).not.toContain('do-not-log')

    // The function and the callback receiver see the trace of the call that enqueued them.
    const fn = (await (await fetch(`${upstreamUrl}/__control/async-function?name=${name}`)).json()) as {
      headers: Record<string, Record<string, string>>
    }
    const sent = parts(fn.headers[callId]?.traceparent)
    expect(sent.traceId).toBe(TRACE)
    expect(sent.parentId).not.toBe(accepted.parentId)
    expect(fn.headers[callId]?.tracestate).toBe('vendor=abc')
    const delivered = parts(callback && header(callback, 'traceparent'))
    expect(delivered.traceId).toBe(TRACE)
    expect(delivered.parentId).not.toBe(sent.parentId)
    expect(callback && header(callback, 'tracestate')).toBe('vendor=abc')
  })

  it('starts a trace for an asynchronous call that came without one, and keeps it to the callback', async () => {
    const name = await defineFunction()
    const cb = callbackTo()
    const res = await gateway(`/async-function/${name}`, {
      method: 'POST',
      headers: { 'x-callback-url': cb.url },
    })
    const started = parts(res.headers.get('traceparent'))
    const [callback] = await awaitCallbacks(cb.id)
    expect(parts(callback && header(callback, 'traceparent')).traceId).toBe(started.traceId)
  })

  it('logs a callback that could not be delivered with its status and reason, not its URL', async () => {
    const lines = captureLines()
    const name = await defineFunction({ attempts: 1 })
    const cb = callbackTo('?fail=1&status=500')
    const res = await gateway(`/async-function/${name}`, {
      method: 'POST',
      headers: { 'x-callback-url': cb.url },
    })
    const callId = res.headers.get('x-call-id')
    await vi.waitUntil(() => lines.some((l) => l.callId === callId && l.kind === 'callback'), {
      timeout: 10_000,
    })
    const [delivery] = lines.filter((l) => l.callId === callId && l.kind === 'callback')
    expect(delivery).toMatchObject({ status: 500, attempt: 1, level: 'error' })
    expect(delivery?.error).toContain('answered 500')
    expect(delivery?.error).not.toContain('fail=1')
  })

  it('logs a scheduled run when it is put on the queue, and its run in the trace the schedule started', async () => {
    const lines = captureLines()
    const name = await defineFunction()
    await fetch(`${upstreamUrl}/__control/async-annotations?name=${name}`, {
      method: 'POST',
      body: JSON.stringify({ topic: 'cron-function', schedule: '* * * * *' }),
    })
    const ctx = createExecutionContext()
    const slot = Math.ceil((Date.now() + 1) / 60_000) * 60_000
    await worker.scheduled(createScheduledController({ scheduledTime: slot, cron: '* * * * *' }), env, ctx)
    await waitOnExecutionContext(ctx)
    const callId = `cron-${name}.openfaas-fn-${new Date(slot).toISOString()}`
    await vi.waitUntil(() => lines.some((l) => l.callId === callId && l.kind === 'async'), {
      timeout: 10_000,
    })
    const mine = lines.filter((l) => l.callId === callId)
    expect(mine.map((l) => l.kind)).toEqual(['schedule', 'async'])
    expect(mine[0]).toMatchObject({
      function: name,
      method: 'POST',
      path: `/async-function/${name}.openfaas-fn`,
      status: 202,
    })
    expect(mine[1]?.traceId).toBe(mine[0]?.traceId)
  })

  it('logs a management call with its route, status and who made it, never a credential', async () => {
    const lines = captureLines()
    const auth = { BASIC_AUTH: 'true', BASIC_AUTH_USER: 'operator', BASIC_AUTH_PASSWORD: 'pa55-word-here' }
    const authorization = basic('operator', 'pa55-word-here')
    const listed = await gatewayWith(auth, '/system/functions?namespace=openfaas-fn', {
      headers: { authorization, traceparent: VALID },
    })
    const one = await gatewayWith(auth, '/system/function/echo', { headers: { authorization } })
    const refused = await gatewayWith(auth, '/system/functions', {
      headers: { authorization: basic('operator', 'wrong') },
    })
    const unknown = await gatewayWith(auth, '/system/nothing-here', { headers: { authorization } })
    expect([listed.status, one.status, refused.status, unknown.status]).toEqual([200, 200, 401, 404])
    const management = lines.filter((l) => l.kind === 'management')
    expect(management).toHaveLength(4)
    expect(management).toMatchObject([
      {
        route: '/system/functions',
        method: 'GET',
        path: '/system/functions',
        status: 200,
        subject: 'operator',
        traceId: TRACE,
      },
      { route: '/system/function/:name', path: '/system/function/echo', status: 200, subject: 'operator' },
      { route: '/system/functions', status: 401, level: 'warn' },
      { route: null, path: '/system/nothing-here', status: 404, subject: 'operator' },
    ])
    expect(management[2]).not.toHaveProperty('subject')
    for (const line of management) {
      expect(line.durationMs).toBeGreaterThanOrEqual(0)
      expect(line.traceId).toMatch(/^[0-9a-f]{32}$/)
    }
    const text = JSON.stringify(management)
    for (const secret of ['pa55-word-here', 'wrong', authorization, 'namespace=openfaas-fn'])
      expect(text).not.toContain(secret)
    // Invocations are logged by their own path, once, not again as management calls.
    const invoked = await gateway('/function/echo')
    expect(lines.filter((l) => l.callId === invoked.headers.get('x-call-id'))).toHaveLength(1)
  })
})

describe('LOG_CALLS and LOG_SAMPLE', () => {
  it('LOG_CALLS=errors logs only calls that failed; none logs nothing', async () => {
    const lines = captureLines()
    await gatewayWith({ LOG_CALLS: 'errors' }, '/function/echo')
    await gatewayWith({ LOG_CALLS: 'errors' }, '/function/status?code=500')
    await gatewayWith({ LOG_CALLS: 'errors' }, '/system/functions')
    await gatewayWith({ LOG_CALLS: 'errors' }, '/system/function/missing')
    expect(lines.map((l) => [l.kind, l.status])).toEqual([
      ['sync', 500],
      ['management', 404],
    ])
    lines.length = 0
    await gatewayWith({ LOG_CALLS: 'none' }, '/function/echo')
    await gatewayWith({ LOG_CALLS: 'none' }, '/function/status?code=500')
    await gatewayWith({ LOG_CALLS: 'none' }, '/system/function/missing')
    expect(lines).toEqual([])
  })

  it('LOG_SAMPLE keeps a share of successful calls chosen by trace id: the same calls every run', async () => {
    const ids = traceIds(23, 200)
    const sampled = async () => {
      const lines = captureLines()
      for (const id of ids)
        await gatewayWith({ LOG_SAMPLE: '0.25' }, '/function/echo', {
          headers: { traceparent: `00-${id}-${PARENT}-01` },
        })
      const kept = lines.map((l) => l.traceId)
      lines.length = 0
      return kept
    }
    const first = await sampled()
    const second = await sampled()
    expect(second).toEqual(first)
    // Seed 23 keeps 50 of these 200.
    expect(first).toHaveLength(50)
    expect(new Set(first).size).toBe(first.length)
    for (const id of first) expect(ids).toContain(id)
  })

  it('never samples out a failed call: LOG_SAMPLE=0 still logs every error', async () => {
    const lines = captureLines()
    for (const id of traceIds(7, 20)) {
      const headers = { traceparent: `00-${id}-${PARENT}-01` }
      await gatewayWith({ LOG_SAMPLE: '0' }, '/function/echo', { headers })
      await gatewayWith({ LOG_SAMPLE: '0' }, '/function/status?code=502', { headers })
    }
    expect(lines).toHaveLength(20)
    for (const line of lines) expect(line.status).toBe(502)
  })

  it.each([
    [{ LOG_CALLS: 'some' }, 'LOG_CALLS'],
    [{ LOG_SAMPLE: '1.5' }, 'LOG_SAMPLE'],
    [{ LOG_SAMPLE: '-0.1' }, 'LOG_SAMPLE'],
    [{ LOG_SAMPLE: 'half' }, 'LOG_SAMPLE'],
  ])('refuses %o, naming %s', async (vars, name) => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    onTestFinished(() => spy.mockRestore())
    const res = await gatewayWith(vars, '/healthz')
    expect(res.status).toBe(500)
    expect(await res.text()).toContain(name)
  })
})

describe('W3C trace context', () => {
  const fresh = 'a fresh trace'
  const kept = 'the caller’s trace'
  it.each([
    ['valid, sampled', VALID, kept, '01'],
    ['valid, not sampled', `00-${TRACE}-${PARENT}-00`, kept, '00'],
    ['valid, unknown flags dropped', `00-${TRACE}-${PARENT}-ff`, kept, '03'],
    ['a later version, with more fields', `cc-${TRACE}-${PARENT}-01-what-comes-next`, kept, '01'],
    ['a later version, exactly as long', `01-${TRACE}-${PARENT}-01`, kept, '01'],
    ['version ff', `ff-${TRACE}-${PARENT}-01`, fresh, '03'],
    ['version 00 too long', `${VALID}-extra`, fresh, '03'],
    ['version 00, one character too long', `${VALID}0`, fresh, '03'],
    ['too short', `00-${TRACE}-${PARENT.slice(1)}-01`, fresh, '03'],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`, fresh, '03'],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`, fresh, '03'],
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${PARENT}-01`, fresh, '03'],
    ['upper-case version', `0A-${TRACE}-${PARENT}-01`, fresh, '03'],
    ['not hex', `00-${TRACE.replace('a', 'g')}-${PARENT}-01`, fresh, '03'],
    ['two values', `${VALID}, ${VALID}`, fresh, '03'],
    ['garbage', 'not a traceparent at all', fresh, '03'],
    ['empty', '', fresh, '03'],
  ])('%s: %s → %s', async (_, value, outcome, flags) => {
    const t = tag()
    const res = await gateway('/function/echo', {
      headers: { ...t.headers, traceparent: value, tracestate: 'congo=t61rcWkgMzE' },
    })
    expect(res.status).toBe(200)
    const [req] = await received(t.id)
    const sent = parts(req?.headers.traceparent as string)
    const answered = parts(res.headers.get('traceparent'))
    // The function's parent is the gateway's hop, which the caller learns from the response.
    expect(answered).toEqual(sent)
    expect(sent.flags).toBe(flags)
    expect(sent.parentId).not.toBe(PARENT)
    expect(sent.parentId).not.toBe('0'.repeat(16))
    if (outcome === kept) {
      expect(sent.traceId).toBe(TRACE)
      expect(req?.headers.tracestate).toBe('congo=t61rcWkgMzE')
    } else {
      expect(sent.traceId).not.toBe(TRACE)
      expect(sent.traceId).not.toBe('0'.repeat(32))
      expect(req?.headers.tracestate).toBeUndefined()
    }
  })

  it('starts a trace for a call without traceparent, a new one each call', async () => {
    const t = tag()
    const a = await gateway('/function/echo', { headers: t.headers })
    const b = await gateway('/function/echo', { headers: t.headers })
    const [first, second] = await received(t.id)
    expect(parts(first?.headers.traceparent as string)).toEqual(parts(a.headers.get('traceparent')))
    expect(parts(a.headers.get('traceparent')).traceId).not.toBe(parts(b.headers.get('traceparent')).traceId)
    expect(second?.headers.tracestate).toBeUndefined()
    expect(a.headers.get('x-call-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('drops a tracestate longer than 512 characters rather than pass it on', async () => {
    const t = tag()
    await gateway('/function/echo', {
      headers: { ...t.headers, traceparent: VALID, tracestate: `a=${'x'.repeat(600)}` },
    })
    const [req] = await received(t.id)
    expect(parts(req?.headers.traceparent as string).traceId).toBe(TRACE)
    expect(req?.headers.tracestate).toBeUndefined()
  })
})

describe('Server-Timing', () => {
  it('says how long the gateway and the provider took, after the function’s own entries; the line has the size', async () => {
    const lines = captureLines()
    const res = await gateway('/function/timed')
    expect(await res.text()).toBe('timed')
    expect(lines.find((l) => l.callId === res.headers.get('x-call-id'))?.bytesOut).toBe(5)
    const timing = res.headers.get('server-timing') ?? ''
    expect(timing).toMatch(/^db;dur=7;desc="query", gateway;dur=\d+, upstream;dur=\d+$/)
  })
})
