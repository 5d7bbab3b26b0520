import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { asyncCounters } from '../../src/queue/counters'
import {
  awaitCallbacks,
  callbacks,
  callbackTo,
  captureWarnings,
  defineFunction,
  header,
  runs,
} from './async-helpers'
import { gateway } from './helpers'

// Bodies too large for a queue message go through the real R2 bucket, and leave nothing behind.

const MiB = 1024 * 1024

function bytes(size: number): Uint8Array {
  const body = new Uint8Array(size)
  for (let offset = 0; offset < size; offset += 65_536)
    crypto.getRandomValues(body.subarray(offset, offset + 65_536))
  return body
}

async function sha256(body: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body))
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('')
}

const stored = async (prefix: string) => (await env.ASYNC_BODIES.list({ prefix })).objects.map((o) => o.key)

describe('large asynchronous bodies', () => {
  it.each([
    ['1 MiB', MiB],
    ['10 MiB, the default MAX_ASYNC_BODY', 10 * MiB],
  ])(
    'carries a %s body through R2 to the function intact, then deletes it',
    async (_, size) => {
      const name = await defineFunction()
      const cb = callbackTo()
      const body = bytes(size)
      const res = await gateway(`/async-function/${name}`, {
        method: 'POST',
        body,
        headers: { 'x-callback-url': cb.url, 'content-type': 'application/octet-stream' },
      })
      expect(res.status).toBe(202)
      const [callback] = await awaitCallbacks(cb.id, 1, 30_000)
      expect(JSON.parse(callback?.text ?? '{}')).toEqual({ bytes: size, sha256: await sha256(body), run: 1 })
      await expect.poll(() => stored('requests/')).toEqual([])
    },
    60_000,
  )

  it('answers 413 for a body over MAX_ASYNC_BODY, storing and enqueuing nothing', async () => {
    const name = await defineFunction()
    const res = await gateway(`/async-function/${name}`, { method: 'POST', body: bytes(10 * MiB + 1) })
    expect(res.status).toBe(413)
    expect(await res.text()).toBe(
      `the request body exceeds MAX_ASYNC_BODY (${10 * MiB} bytes) for an asynchronous call\n`,
    )
    expect(await stored('requests/')).toEqual([])
    expect(await runs(name)).toEqual({})
  })

  it('answers 413 for a streamed body of unknown length once it passes the limit', async () => {
    const name = await defineFunction()
    const chunk = new Uint8Array(MiB)
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 11) return controller.close()
        sent++
        controller.enqueue(chunk)
      },
    })
    const res = await gateway(`/async-function/${name}`, { method: 'POST', body })
    expect(res.status).toBe(413)
    expect(sent).toBeLessThan(12)
    expect(await stored('requests/')).toEqual([])
  })

  it('keeps a large result in R2 only until its callback is delivered', async () => {
    const warnings = captureWarnings()
    const cb = callbackTo('?fail=1')
    const res = await gateway('/async-function/download?bytes=300000', {
      method: 'POST',
      body: 'x',
      headers: { 'x-callback-url': cb.url },
    })
    expect(res.status).toBe(202)
    const [callback] = await awaitCallbacks(cb.id)
    expect(callback?.bytes).toBe(300_000)
    expect(callback && header(callback, 'content-type')).toBe('application/octet-stream')
    expect((await callbacks(cb.id)).attempts).toBe(2)
    expect(warnings.join('\n')).toContain(`the callback ${cb.url} answered 503`)
    await expect.poll(() => stored('results/')).toEqual([])
  })

  it('keeps the body of a dead letter for its replay, and deletes it once the replay is done', async () => {
    const name = await defineFunction({ attempts: 1, fail: 1, code: 500 })
    const body = bytes(200_000)
    const res = await gateway(`/async-function/${name}`, { method: 'POST', body })
    const callId = res.headers.get('x-call-id') as string
    await expect
      .poll(async () => (await asyncCounters(env))[`${name}.openfaas-fn`]?.deadLettered, { timeout: 10_000 })
      .toBe(1)
    expect(await stored('requests/')).toHaveLength(1)
    const letters = (await (await gateway('/system/async/dead-letters')).json()) as {
      callId: string
      bodyBytes: number
    }[]
    expect(letters.find((letter) => letter.callId === callId)?.bodyBytes).toBe(200_000)
    expect((await gateway(`/system/async/dead-letters/${callId}/replay`, { method: 'POST' })).status).toBe(
      202,
    )
    await expect.poll(async () => (await runs(name))[callId]).toBe(2)
    await expect.poll(() => stored('requests/')).toEqual([])
  })
})
