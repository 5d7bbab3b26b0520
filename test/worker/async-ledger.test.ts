import { runDurableObjectAlarm } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import { loadConfig } from '../../src/config'
import { ledgerFor } from '../../src/queue/ledger/shards'
import type { AsyncMessage } from '../../src/queue/message'
import { backoffSeconds, retryAfterMs } from '../../src/queue/retry'

// The call ledger itself (its leases and expiry), and the retry arithmetic.

const HOUR = 3_600_000

function call() {
  return { callId: crypto.randomUUID(), nonce: crypto.randomUUID(), fn: 'ledger-test.openfaas-fn' }
}

describe('the call ledger', () => {
  it('lets one delivery run a call; another meeting a live lease comes back when it runs out', async () => {
    const key = call()
    const ledger = ledgerFor(env, key.callId)
    expect(await ledger.begin(key, 15 * 60_000, HOUR, null)).toEqual({ kind: 'run', attempt: 1 })
    const busy = await ledger.begin(key, 15 * 60_000, HOUR, null)
    expect(busy.kind).toBe('busy')
    expect(busy.kind === 'busy' && busy.retryInMs).toBeGreaterThan(14 * 60_000)
  })

  it('runs a call again once the lease of a delivery that died has run out', async () => {
    const key = call()
    const ledger = ledgerFor(env, key.callId)
    await ledger.begin(key, 1, HOUR, null)
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(await ledger.begin(key, 60_000, HOUR, null)).toEqual({ kind: 'run', attempt: 2 })
    // The delivery that lost the call can neither record an answer nor hand it back; the one holding it can.
    expect(await ledger.finished(key, 1, 'completed', undefined, HOUR)).toBe(false)
    await ledger.failed(key, 1, HOUR)
    expect(await ledger.call(key.callId, key.nonce)).toMatchObject({ state: 'running' })
    expect(await ledger.finished(key, 2, 'completed', undefined, HOUR)).toBe(true)
    expect(await ledger.begin(key, 60_000, HOUR, null)).toEqual({ kind: 'done' })
  })

  it('extends the lease of the delivery still running a call, and only of that one', async () => {
    const key = call()
    const ledger = ledgerFor(env, key.callId)
    await ledger.begin(key, 1_000, HOUR, null)
    expect(await ledger.renew(key, 1, 60_000)).toBe(true)
    const busy = await ledger.begin(key, 1_000, HOUR, null)
    expect(busy.kind === 'busy' && busy.retryInMs).toBeGreaterThan(50_000)
    // A delivery renewing too late, after another took the call over, holds nothing any more.
    const lost = call()
    const shard = ledgerFor(env, lost.callId)
    await shard.begin(lost, 1, HOUR, null)
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(await shard.renew(lost, 1, 60_000)).toBe(false)
    expect(await shard.begin(lost, 60_000, HOUR, null)).toEqual({ kind: 'run', attempt: 2 })
    expect(await shard.renew(lost, 1, 60_000)).toBe(false)
    expect(await shard.renew(lost, 2, 60_000)).toBe(true)
    await shard.finished(lost, 2, 'completed', undefined, HOUR)
    expect(await shard.renew(lost, 2, 60_000)).toBe(false)
  })

  it('lets the next delivery run at once a call whose delivery released it after failing itself', async () => {
    const key = call()
    const ledger = ledgerFor(env, key.callId)
    await ledger.begin(key, 15 * 60_000, HOUR, null)
    await ledger.release(key, 1, HOUR)
    expect(await ledger.begin(key, 15 * 60_000, HOUR, null)).toEqual({ kind: 'run', attempt: 2 })
  })

  it('deletes expired records with the R2 bodies they own, on its alarm', async () => {
    const key = call()
    const ledger = ledgerFor(env, key.callId)
    const requestKey = `requests/${key.nonce}`
    await env.ASYNC_BODIES.put(requestKey, 'the request')
    await ledger.begin(key, 60_000, 1, requestKey)
    await new Promise((resolve) => setTimeout(resolve, 5))
    // The shard's alarm may have run by itself already: a row expiring so soon is swept at once.
    await runDurableObjectAlarm(ledger)
    expect(await ledger.call(key.callId, key.nonce)).toBeUndefined()
    expect(await env.ASYNC_BODIES.head(requestKey)).toBeNull()
  })

  it('keeps a dead letter, with its body, until it expires', async () => {
    const key = call()
    const ledger = ledgerFor(env, key.callId)
    const bodyKey = `requests/${key.nonce}`
    await env.ASYNC_BODIES.put(bodyKey, 'kept for replay')
    const message: AsyncMessage = {
      v: 1,
      callId: key.callId,
      nonce: key.nonce,
      fn: { name: 'ledger-test', namespace: 'openfaas-fn' },
      target: { name: 'ledger-test', rest: '/x', search: '?y=1' },
      method: 'POST',
      headers: [],
      body: { stored: bodyKey, bytes: 15 },
      enqueuedAt: Date.now(),
    }
    await ledger.deadLetter({ message, deadLetter: { kind: 'function', reason: 'test', attempts: 3 } }, 50)
    const listed = await ledger.deadLetters(1000)
    expect(listed.find((letter) => letter.callId === key.callId)).toMatchObject({
      path: '/async-function/ledger-test/x?y=1',
      bodyBytes: 15,
      reason: 'test',
    })
    await new Promise((resolve) => setTimeout(resolve, 60))
    await runDurableObjectAlarm(ledger)
    expect((await ledger.deadLetters(1000)).find((letter) => letter.callId === key.callId)).toBeUndefined()
    expect(await env.ASYNC_BODIES.head(bodyKey)).toBeNull()
  })
})

describe('retry timing', () => {
  const loaded = loadConfig({ ...env, ASYNC_RETRY_INITIAL: '10s', ASYNC_RETRY_MAX_WAIT: '120s' })
  if (!loaded.ok) throw new Error(loaded.error)
  const config = loaded.config

  it('backs off exponentially from ASYNC_RETRY_INITIAL to ASYNC_RETRY_MAX_WAIT, with jitter of up to half', () => {
    const spy = vi.spyOn(Math, 'random')
    try {
      spy.mockReturnValue(0.999_999)
      expect([1, 2, 3, 4, 5, 6].map((n) => backoffSeconds(config, n))).toEqual([10, 20, 40, 80, 120, 120])
      spy.mockReturnValue(0)
      expect([1, 2, 3, 4, 5, 6].map((n) => backoffSeconds(config, n))).toEqual([5, 10, 20, 40, 60, 60])
    } finally {
      spy.mockRestore()
    }
  })

  it('never comes back sooner than Retry-After, and never later than a queue can delay', () => {
    expect(backoffSeconds(config, 1, '90')).toBe(90)
    expect(backoffSeconds(config, 1, new Date(Date.now() + 300_000).toUTCString())).toBeGreaterThanOrEqual(
      299,
    )
    expect(backoffSeconds(config, 1, '999999')).toBe(43_200)
    expect(backoffSeconds(config, 1, 'soon')).toBeLessThanOrEqual(10)
  })

  it.each([
    ['120', 120_000],
    ['0', 0],
    ['', undefined],
    ['soon', undefined],
    ['-5', undefined],
  ])('reads Retry-After %j as %s ms', (value, ms) => {
    expect(retryAfterMs(value)).toBe(ms)
  })
})
