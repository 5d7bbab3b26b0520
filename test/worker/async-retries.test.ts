import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { asyncCounters } from '../../src/queue/counters'
import type { DeadLetterView } from '../../src/queue/ledger/rows'
import {
  awaitCallbacks,
  callbacks,
  callbackTo,
  captureWarnings,
  defineFunction,
  header,
  listener,
  runs,
} from './async-helpers'
import { basic, gateway, gatewayWith, upstreamUrl } from './helpers'

// Retries, dead letters and callbacks that do not arrive, through the real queues. Retries wait
// ASYNC_RETRY_INITIAL = 1s here (vitest.worker.config.ts).

async function enqueue(name: string, callbackUrl?: string, body = 'payload'): Promise<string> {
  const res = await gateway(`/async-function/${name}`, {
    method: 'POST',
    body,
    headers: callbackUrl ? { 'x-callback-url': callbackUrl } : {},
  })
  expect(res.status).toBe(202)
  return res.headers.get('x-call-id') as string
}

async function deadLetters(): Promise<DeadLetterView[]> {
  const res = await gateway('/system/async/dead-letters')
  expect(res.status).toBe(200)
  return res.json()
}

const deadLetterOf = async (callId: string) =>
  (await deadLetters()).find((letter) => letter.callId === callId)

describe('asynchronous calls that fail', () => {
  it('retries a function answering 503 and delivers its eventual answer once', async () => {
    const name = await defineFunction({ fail: 2, code: 503 })
    const cb = callbackTo()
    const callId = await enqueue(name, cb.url, 'third time lucky')
    const [callback] = await awaitCallbacks(cb.id)
    if (!callback) throw new Error('no callback')
    expect(header(callback, 'x-function-status')).toBe('200')
    expect(header(callback, 'x-retry')).toBe('2')
    expect(header(callback, 'x-retry-max')).toBe('9')
    expect(callback.text).toBe('third time lucky')
    expect(await runs(name)).toEqual({ [callId]: 3 })
    expect((await asyncCounters(env))[`${name}.openfaas-fn`]).toEqual({
      enqueued: 1,
      completed: 1,
      retried: 2,
      deadLettered: 0,
      callbackFailures: 0,
    })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await callbacks(cb.id)).callbacks).toHaveLength(1)
  })

  it('waits at least as long as Retry-After asks', async () => {
    const name = await defineFunction({ fail: 1, code: 429, retryAfter: '3' })
    const cb = callbackTo()
    const sent = Date.now()
    await enqueue(name, cb.url)
    const [callback] = await awaitCallbacks(cb.id)
    expect(callback && header(callback, 'x-retry')).toBe('1')
    expect((callback?.at ?? 0) - sent).toBeGreaterThanOrEqual(3000)
  })

  it.each([400, 404, 501])('does not retry a function answering %i: that answer is final', async (code) => {
    const name = await defineFunction({ fail: 1, code })
    const cb = callbackTo()
    const callId = await enqueue(name, cb.url)
    const [callback] = await awaitCallbacks(cb.id)
    expect(callback && header(callback, 'x-function-status')).toBe(String(code))
    expect(callback?.text).toBe(`run 1 fails with ${code}`)
    expect(await runs(name)).toEqual({ [callId]: 1 })
  })

  it('after the last attempt, sends the final answer to the callback and keeps a dead letter that replays', async () => {
    const name = await defineFunction({ attempts: 2, fail: 99, code: 500 })
    const cb = callbackTo()
    const callId = await enqueue(name, cb.url, 'never works')
    const [final] = await awaitCallbacks(cb.id)
    if (!final) throw new Error('no final callback')
    expect(header(final, 'x-function-status')).toBe('500')
    expect(header(final, 'x-retry')).toBe('1')
    expect(header(final, 'x-retry-max')).toBe('1')
    expect(final.text).toBe('run 2 fails with 500')
    expect(await runs(name)).toEqual({ [callId]: 2 })

    await expect.poll(() => deadLetterOf(callId), { timeout: 10_000 }).toBeDefined()
    expect(await deadLetterOf(callId)).toMatchObject({
      callId,
      function: `${name}.openfaas-fn`,
      kind: 'function',
      reason: 'no successful answer in 2 attempts; the last was 500',
      status: 500,
      attempts: 2,
      method: 'POST',
      path: `/async-function/${name}`,
      callbackUrl: cb.url,
      bodyBytes: 'never works'.length,
    })

    // The function is fixed; the replay runs it again and delivers.
    await fetch(`${upstreamUrl}/__control/async-function`, {
      method: 'POST',
      body: JSON.stringify({ name, labels: { 'com.openfaas.retry.attempts': '2' } }),
    })
    const replay = await gateway(`/system/async/dead-letters/${callId}/replay`, { method: 'POST' })
    expect(replay.status).toBe(202)
    expect(replay.headers.get('x-call-id')).toBe(callId)
    const [, delivered] = await awaitCallbacks(cb.id, 2)
    expect(delivered && header(delivered, 'x-function-status')).toBe('200')
    expect(delivered?.text).toBe('never works')
    expect(await runs(name)).toEqual({ [callId]: 1 })
    await expect.poll(() => deadLetterOf(callId)).toBeUndefined()
    expect((await asyncCounters(env))[`${name}.openfaas-fn`]).toMatchObject({
      enqueued: 1,
      completed: 1,
      retried: 1,
      deadLettered: 1,
    })
  })

  it('dead-letters a call without a callback too', async () => {
    const name = await defineFunction({ attempts: 1, fail: 99, code: 502 })
    const callId = await enqueue(name)
    await expect
      .poll(() => deadLetterOf(callId), { timeout: 10_000 })
      .toMatchObject({
        kind: 'function',
        status: 502,
        attempts: 1,
      })
    expect(await runs(name)).toEqual({ [callId]: 1 })
  })

  it('delivers to a callback receiver that was down for a while once it is back, running the function once', async () => {
    const name = await defineFunction()
    const warnings = captureWarnings()
    const receiver = await listener()
    await receiver.close()
    const id = crypto.randomUUID()
    const callId = await enqueue(name, `${receiver.url}/cb/${id}`, 'patience')
    await expect
      .poll(async () => (await asyncCounters(env))[`${name}.openfaas-fn`]?.callbackFailures ?? 0, {
        timeout: 10_000,
      })
      .toBeGreaterThanOrEqual(2)
    await receiver.open()
    const [callback] = await awaitCallbacks(id)
    expect(callback?.text).toBe('patience')
    expect(callback && header(callback, 'x-retry')).toBe('0')
    expect(await runs(name)).toEqual({ [callId]: 1 })
    expect(warnings[0]).toMatch(
      new RegExp(`^async call ${callId}: cannot reach the callback ${receiver.url}/cb/${id}: `),
    )
  })

  it('gives up a callback after the last attempt as a dead letter, whose replay delivers without running again', async () => {
    const name = await defineFunction({ attempts: 2 })
    const warnings = captureWarnings()
    const cb = callbackTo('?fail=2&status=500')
    const callId = await enqueue(name, cb.url, 'deliver me')
    await expect
      .poll(() => deadLetterOf(callId), { timeout: 10_000 })
      .toMatchObject({
        kind: 'callback',
        status: 200,
        attempts: 1,
      })
    expect((await deadLetterOf(callId))?.reason).toMatch(
      /^the callback was not delivered in 2 attempts; the last: the callback .* answered 500$/,
    )
    expect((await callbacks(cb.id)).attempts).toBe(2)
    expect(warnings).toHaveLength(2)
    const replay = await gateway(`/system/async/dead-letters/${encodeURIComponent(callId)}/replay`, {
      method: 'POST',
    })
    expect(replay.status).toBe(202)
    const [callback] = await awaitCallbacks(cb.id)
    expect(callback?.text).toBe('deliver me')
    expect(callback && header(callback, 'x-function-status')).toBe('200')
    expect(await runs(name)).toEqual({ [callId]: 1 })
    await expect.poll(() => deadLetterOf(callId)).toBeUndefined()
    expect((await asyncCounters(env))[`${name}.openfaas-fn`]).toMatchObject({
      callbackFailures: 2,
      deadLettered: 1,
    })
  })
})

describe('/system/async/dead-letters', () => {
  const AUTH = { BASIC_AUTH: 'true', BASIC_AUTH_USER: 'admin', BASIC_AUTH_PASSWORD: 'pw' }

  it('is behind basic auth, listing and replay alike', async () => {
    for (const [method, path] of [
      ['GET', '/system/async/dead-letters'],
      ['POST', '/system/async/dead-letters/some-call/replay'],
    ] as const) {
      const res = await gatewayWith(AUTH, path, { method })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="Restricted"')
    }
    const res = await gatewayWith(AUTH, '/system/async/dead-letters', {
      headers: { authorization: basic('admin', 'pw') },
    })
    expect(res.status).toBe(200)
    expect(Array.isArray(await res.json())).toBe(true)
  })

  it('answers 404 for a call id with no dead letter', async () => {
    const res = await gateway('/system/async/dead-letters/no-such-call/replay', { method: 'POST' })
    expect(res.status).toBe(404)
    expect(await res.text()).toBe('no dead letter for call id no-such-call\n')
  })

  it.each(['0', '1001', 'ten', '1.5'])('refuses ?limit=%s', async (limit) => {
    const res = await gateway(`/system/async/dead-letters?limit=${limit}`)
    expect(res.status).toBe(400)
    expect(await res.text()).toContain(`invalid limit "${limit}": must be a whole number from 1 to 1000`)
  })

  it('answers 405 with Allow for other methods', async () => {
    const list = await gateway('/system/async/dead-letters', { method: 'DELETE' })
    expect(list.status).toBe(405)
    expect(list.headers.get('allow')).toBe('GET, HEAD')
    const replay = await gateway('/system/async/dead-letters/x/replay', { method: 'GET' })
    expect(replay.status).toBe(405)
    expect(replay.headers.get('allow')).toBe('POST')
  })
})
