import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import worker from '../../src/index'
import type { AsyncMessage } from '../../src/queue/message'
import type { Callback } from '../upstream/callback-record'
import {
  asyncMessage,
  awaitCallbacks,
  callbacks,
  callbackTo,
  captureWarnings,
  defineFunction,
  header,
  runs,
} from './async-helpers'
import { gateway, loggedWarnings, received, tag, upstreamUrl } from './helpers'

// The consumer driven by hand, as the queue drives it, to deliver the same message again: at-least-once
// delivery must not mean at-least-once runs.

const message = (name: string, callbackUrl?: string, headers: [string, string][] = []): AsyncMessage =>
  asyncMessage(name, { ...(callbackUrl ? { callbackUrl } : {}), headers })

/** Delivers messages once to the queue handler, as one batch, with `vars` over the deployment's env. */
async function deliver(bodies: unknown[], vars: Record<string, string> = {}) {
  const batch = createMessageBatch(
    'edgefaas-async',
    bodies.map((body, i) => ({
      id: `msg-${i}-${crypto.randomUUID()}`,
      timestamp: new Date(),
      attempts: 1,
      body,
    })),
  )
  const ctx = createExecutionContext()
  await worker.queue(batch, { ...env, ...vars }, ctx)
  const result = await getQueueResult(batch, ctx)
  return { result, ids: batch.messages.map((m) => m.id) }
}

describe('redelivered messages', () => {
  it('does not run a completed call again, nor call back twice', async () => {
    const name = await defineFunction()
    const cb = callbackTo()
    const call = message(name, cb.url)
    const first = await deliver([call])
    expect(first.result.explicitAcks).toEqual(first.ids)
    expect(await awaitCallbacks(cb.id)).toHaveLength(1)
    const again = await deliver([call])
    expect(again.result.explicitAcks).toEqual(again.ids)
    expect(again.result.retryMessages).toEqual([])
    expect(await runs(name)).toEqual({ [call.callId]: 1 })
    expect((await callbacks(cb.id)).callbacks).toHaveLength(1)
  })

  it('retries a call whose provider is down while it is consumed, then runs it and calls back once', async () => {
    const name = await defineFunction()
    const cb = callbackTo()
    const call = message(name, cb.url)
    // Port 9 (discard) refuses connections on loopback: the provider is down for this delivery.
    const first = await deliver([call], { FUNCTIONS_PROVIDER_URL: 'http://127.0.0.1:9' })
    expect(first.result.explicitAcks).toEqual([])
    expect(first.result.retryMessages.map((m) => m.msgId)).toEqual(first.ids)
    expect(await runs(name)).toEqual({})
    expect((await callbacks(cb.id)).callbacks).toHaveLength(0)
    const back = await deliver([call])
    expect(back.result.explicitAcks).toEqual(back.ids)
    const [callback] = await awaitCallbacks(cb.id)
    expect(callback?.headers['x-function-status']).toBe('200')
    expect(await runs(name)).toEqual({ [call.callId]: 1 })
  })

  it('retries only the callback when it was not delivered', async () => {
    const name = await defineFunction()
    const warnings = captureWarnings()
    const cb = callbackTo('?fail=1')
    const call = message(name, cb.url)
    const first = await deliver([call])
    expect(first.result.explicitAcks).toEqual([])
    // (getQueueResult reports which messages were retried, not their delays.)
    expect(first.result.retryMessages.map((m) => m.msgId)).toEqual(first.ids)
    expect((await callbacks(cb.id)).attempts).toBe(1)
    expect(warnings).toEqual([`async call ${call.callId}: the callback ${cb.url} answered 503`])
    const again = await deliver([call])
    expect(again.result.explicitAcks).toEqual(again.ids)
    const [callback] = await awaitCallbacks(cb.id)
    expect(callback?.text).toBe(`body of ${call.callId}`)
    expect(await runs(name)).toEqual({ [call.callId]: 1 })
  })

  it('runs a call delivered twice at the same time once; the other delivery comes back later', async () => {
    const name = await defineFunction()
    const call = message(name)
    const [a, b] = await Promise.all([deliver([call]), deliver([call])])
    const retried = [...(a?.result.retryMessages ?? []), ...(b?.result.retryMessages ?? [])]
    const acked = [...(a?.result.explicitAcks ?? []), ...(b?.result.explicitAcks ?? [])]
    expect(acked).toHaveLength(1)
    expect(retried).toHaveLength(1)
    expect(await runs(name)).toEqual({ [call.callId]: 1 })
  })

  it('acks each message on its own: one that cannot be a call is dead-lettered with a reason, its batch unharmed', async () => {
    const good = await defineFunction()
    const failing = await defineFunction({ fail: 1, code: 503 })
    const calls = [message(good), { not: 'a call' }, message(failing)]
    let outcome: Awaited<ReturnType<typeof deliver>> | undefined
    const warned = await loggedWarnings(async () => {
      outcome = await deliver(calls)
    })
    const [goodId, poisonId, failingId] = outcome?.ids ?? []
    expect(warned).toContain(`message ${poisonId} kept as a dead letter, not an asynchronous call`)
    expect(outcome?.result.retryBatch.retry).toBe(false)
    expect(outcome?.result.ackAll).toBe(false)
    expect(outcome?.result.explicitAcks.sort()).toEqual([goodId, poisonId].sort())
    expect(outcome?.result.retryMessages.map((m) => m.msgId)).toEqual([failingId])
    expect(await runs(good)).toHaveProperty((calls[0] as { callId: string }).callId, 1)

    const letters = (await (await gateway('/system/async/dead-letters')).json()) as Record<string, unknown>[]
    const letter = letters.find((l) => l.callId === `queue-message:${poisonId}`)
    expect(letter).toMatchObject({
      kind: 'unreadable',
      function: '',
      attempts: 1,
      path: `queue edgefaas-async, message ${poisonId}: {"not":"a call"}`,
    })
    // The reason names what is missing, in the form every other 400 uses.
    expect(letter?.reason).toMatch(
      /^not an asynchronous call: v Invalid input: expected 1; callId is required; /,
    )
    const replay = await gateway(`/system/async/dead-letters/queue-message:${poisonId}/replay`, {
      method: 'POST',
    })
    expect(replay.status).toBe(400)
    expect(await replay.text()).toBe(
      `dead letter queue-message:${poisonId} is a queue message that is not a call: there is nothing to replay\n`,
    )
  })

  it('keeps an unreadable message once however often it is redelivered, and a binary one by its size', async () => {
    const body = new Uint8Array([0xde, 0xad, 0xbe, 0xef])
    const batch = createMessageBatch('edgefaas-async', [
      { id: `bin-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body },
    ])
    const id = batch.messages[0]?.id
    for (let i = 0; i < 2; i++) {
      const ctx = createExecutionContext()
      await loggedWarnings(() => worker.queue(batch, env, ctx))
      expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([id])
    }
    const letters = (await (await gateway('/system/async/dead-letters')).json()) as Record<string, unknown>[]
    const mine = letters.filter((l) => l.callId === `queue-message:${id}`)
    expect(mine).toHaveLength(1)
    expect(mine[0]).toMatchObject({ kind: 'unreadable', bodyBytes: 4 })
    expect(mine[0]?.path).toContain('(4 bytes of binary data)')
  })
})

describe('a function scaled to zero behind the gateway', () => {
  it('wakes it and sends the held body again in the same delivery: one run, no retry', async () => {
    const name = await defineFunction()
    const cb = callbackTo()
    // A first call leaves this isolate sure the function is ready.
    expect((await deliver([message(name, cb.url)])).result.retryMessages).toEqual([])
    await fetch(`${upstreamUrl}/__control/async-replicas?name=${name}&replicas=0`, { method: 'POST' })
    const call = message(name, cb.url)
    const { result, ids } = await deliver([call])
    expect(result.retryMessages).toEqual([])
    expect(result.explicitAcks).toEqual(ids)
    const fn = (await (await fetch(`${upstreamUrl}/__control/async-function?name=${name}`)).json()) as {
      noReplica: number
      replicas: number
    }
    expect(fn).toMatchObject({ noReplica: 1, replicas: 1 })
    expect((await runs(name))[call.callId]).toBe(1)
    const [, second] = await awaitCallbacks(cb.id, 2)
    expect(header(second as Callback, 'x-call-id')).toBe(call.callId)
    expect(header(second as Callback, 'x-function-status')).toBe('200')
    expect(second?.text).toBe(`body of ${call.callId}`)
  })
})

describe('dead letters', () => {
  it('are recognised on any queue, so a misnamed ASYNC_DEAD_LETTER_QUEUE cannot drop them', async () => {
    const name = await defineFunction()
    const call = message(name)
    const { result, ids } = await deliver([
      { message: call, deadLetter: { kind: 'function', reason: 'sent by a test', attempts: 1 } },
    ])
    expect(result.explicitAcks).toEqual(ids)
    expect(await runs(name)).toEqual({})
    const letters = (await (await gateway('/system/async/dead-letters')).json()) as {
      callId: string
      reason: string
    }[]
    expect(letters.find((letter) => letter.callId === call.callId)?.reason).toBe('sent by a test')
  })
})

describe('callbacks', () => {
  it('never carry the gateway credentials, nor do invocations', async () => {
    const name = await defineFunction()
    const cb = callbackTo()
    const t = tag()
    await deliver([message(name, cb.url, [['x-test-id', t.id]])], {
      BASIC_AUTH: 'true',
      BASIC_AUTH_USER: 'admin',
      BASIC_AUTH_PASSWORD: 'gateway-secret',
    })
    const [callback] = await awaitCallbacks(cb.id)
    expect(callback?.headers.authorization).toBeUndefined()
    expect(JSON.stringify(callback)).not.toContain(btoa('admin:gateway-secret'))
    expect((await received(t.id))[0]?.headers.authorization).toBeUndefined()
  })

  it('are signed only with CALLBACK_SIGNING_KEY set, and the README snippet checks the signature', async () => {
    const name = await defineFunction()
    const signed = callbackTo()
    const unsigned = callbackTo()
    await deliver([message(name, signed.url)])
    await deliver([message(name, unsigned.url)], { CALLBACK_SIGNING_KEY: '' })
    const [withKey] = await awaitCallbacks(signed.id)
    const [withoutKey] = await awaitCallbacks(unsigned.id)
    expect(withKey && header(withKey, 'x-callback-signature')).toMatch(/^sha256=[0-9a-f]{64}$/)
    expect(
      Math.abs(Number(withKey && header(withKey, 'x-callback-timestamp')) - Date.now() / 1000),
    ).toBeLessThan(10)
    expect(withKey?.verified).toBe(true)
    expect(withKey?.tamperedVerified).toBe(false)
    expect(withoutKey?.headers['x-callback-signature']).toBeUndefined()
    expect(withoutKey?.verified).toBe(false)
  })
})
