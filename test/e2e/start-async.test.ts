import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { poll, type Stack, startStack } from './stack'

// Asynchronous calls end to end under `npm start`: the queue, its consumer, R2 and the Durable Objects all
// run locally under `wrangler dev`; the function is a real process of the dev provider and the callback
// receiver a real server on loopback.

type Received = { headers: IncomingHttpHeaders; body: string }

let stack: Stack
let receiver: Server
let receiverUrl: string
const received: Received[] = []

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`

  stack = await startStack()
  const deploy = await fetch(`${stack.gateway}/system/functions`, {
    method: 'POST',
    body: JSON.stringify({ service: 'wc', image: 'functions/alpine:latest', envProcess: 'wc' }),
  })
  expect(deploy.status).toBe(202)
  await poll('wc to answer', async () => {
    const res = await fetch(`${stack.gateway}/function/wc`, { method: 'POST', body: 'x' })
    return res.status === 200 ? true : undefined
  })
}, 90_000)

afterAll(async () => {
  stack?.stop()
  await new Promise<void>((resolve) => {
    receiver?.closeAllConnections()
    receiver ? receiver.close(() => resolve()) : resolve()
  })
})

describe('npm start: asynchronous invocations', () => {
  it('accepts a call with 202 and POSTs the function answer to the callback', async () => {
    const res = await fetch(`${stack.gateway}/async-function/wc`, {
      method: 'POST',
      body: 'hello edge world',
      headers: { 'x-callback-url': `${receiverUrl}/cb` },
    })
    expect(res.status).toBe(202)
    const callId = res.headers.get('x-call-id')
    const callback = await poll('the callback', async () =>
      received.find((r) => r.headers['x-call-id'] === callId),
    )
    expect(callback.body.trim().split(/\s+/)).toEqual(['0', '3', '16'])
    expect(callback.headers['x-function-status']).toBe('200')
    expect(callback.headers['x-function-name']).toBe('wc')
  })

  it('carries a body too large for a queue message through R2', async () => {
    const body = 'word '.repeat(200_000)
    const res = await fetch(`${stack.gateway}/async-function/wc`, {
      method: 'POST',
      body,
      headers: { 'x-callback-url': `${receiverUrl}/cb` },
    })
    expect(res.status).toBe(202)
    const callId = res.headers.get('x-call-id')
    const callback = await poll('the callback', async () =>
      received.find((r) => r.headers['x-call-id'] === callId),
    )
    expect(callback.body.trim().split(/\s+/)).toEqual(['0', '200000', String(body.length)])
  })

  it('answers 404 for a function that does not exist, and serves the dead-letter list', async () => {
    const res = await fetch(`${stack.gateway}/async-function/nope`, { method: 'POST', body: 'x' })
    expect(res.status).toBe(404)
    expect(await res.text()).toBe('no such function: nope.openfaas-fn\n')
    const letters = await fetch(`${stack.gateway}/system/async/dead-letters`)
    expect(letters.status).toBe(200)
    expect(Array.isArray(await letters.json())).toBe(true)
  })
})

describe('npm start: scheduled functions', () => {
  it('runs a function annotated with a schedule when wrangler dev is asked for a scheduled event', async () => {
    const deploy = await fetch(`${stack.gateway}/system/functions`, {
      method: 'POST',
      body: JSON.stringify({
        service: 'ticker',
        image: 'functions/alpine:latest',
        envProcess: 'wc',
        annotations: { topic: 'cron-function', schedule: '* * * * *' },
      }),
    })
    expect(deploy.status).toBe(202)
    // `npm start` runs wrangler dev with --test-scheduled: /__scheduled is a cron event, and its sync registers the
    // function (slots before it was seen never run). The event of the next minute, fired by wrangler's own
    // scheduled handler with `time`, runs that minute's slot without waiting for the clock to get there.
    expect((await fetch(`${stack.gateway}/__scheduled?cron=*+*+*+*+*`)).status).toBe(200)
    const slot = Math.ceil((Date.now() + 1) / 60_000) * 60_000
    const fired = await fetch(`${stack.gateway}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time=${slot}`)
    expect(fired.status).toBe(200)
    type View = {
      name: string
      lastSlot: string | null
      lastRun: { state: string; status: number | null } | null
    }
    const view = await poll('the scheduled run', async () => {
      const list = (await (await fetch(`${stack.gateway}/system/schedules`)).json()) as View[]
      const ticker = list.find((v) => v.name === 'ticker')
      return ticker?.lastRun?.status === 200 ? ticker : undefined
    })
    expect(view.lastSlot).toBe(new Date(slot).toISOString())
    const status = (await (await fetch(`${stack.gateway}/system/function/ticker`)).json()) as {
      invocationCount: number
    }
    expect(status.invocationCount).toBeGreaterThanOrEqual(1)
  }, 60_000)
})
