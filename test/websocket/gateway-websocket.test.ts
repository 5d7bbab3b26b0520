import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startProvider } from '../../provider/src/provider.ts'
import { startWorkerd } from '../../scripts/production-worker.mjs'
import { productionBundle, rawRequest, upgradeText } from '../raw/harness.ts'

// WebSockets end to end: the production bundle in workerd in front of the real dev provider, which runs
// examples/node-http/index.mjs as an HTTP-mode function (a server per replica). The client is Node's own
// WebSocket. Everything is on loopback; every wait polls for a state within a bound.

const EXAMPLE = fileURLToPath(new URL('../../examples/node-http/index.mjs', import.meta.url))

let dir: string
let provider: Awaited<ReturnType<typeof startProvider>>
let gateway: Awaited<ReturnType<typeof startWorkerd>>

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until<T>(what: string, ms: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await attempt().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(100)
  }
}

type Status = { replicas: number; availableReplicas: number }

async function statusOf(name: string): Promise<Status> {
  return (await (await fetch(`${gateway.url}/system/function/${name}`)).json()) as Status
}

async function deploy(name: string, spec: { labels?: Record<string, string>; mode?: 'http' } = {}) {
  const res = await fetch(`${gateway.url}/system/functions`, {
    method: 'POST',
    body: JSON.stringify({
      service: name,
      image: 'local/node-http:latest',
      envProcess: spec.mode === 'http' ? `${process.execPath} ${EXAMPLE}` : 'cat',
      envVars: spec.mode === 'http' ? { mode: 'http', exec_timeout: '0' } : {},
      annotations: spec.mode === 'http' ? { 'com.openfaas.ready.http.path': '/ready' } : {},
      labels: spec.labels ?? {},
    }),
  })
  expect(res.status).toBe(202)
  await until(`${name} to be ready`, 15_000, async () =>
    (await statusOf(name)).availableReplicas > 0 ? true : undefined,
  )
}

/** A WebSocket to a function through the gateway, with its messages queued for `next()`. */
async function connect(path: string) {
  const ws = new WebSocket(`${gateway.url.replace('http:', 'ws:')}${path}`)
  ws.binaryType = 'arraybuffer'
  const queue: (string | ArrayBuffer)[] = []
  const waiting: ((data: string | ArrayBuffer) => void)[] = []
  ws.addEventListener('message', (event) => {
    const data = event.data as string | ArrayBuffer
    const waiter = waiting.shift()
    if (waiter) waiter(data)
    else queue.push(data)
  })
  const closed = new Promise<CloseEvent>((resolve) => ws.addEventListener('close', resolve))
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true })
    ws.addEventListener('error', () => reject(new Error(`could not open ${path}`)), { once: true })
  })
  return {
    ws,
    closed,
    next(timeoutMs = 15_000): Promise<string | ArrayBuffer> {
      const queued = queue.shift()
      if (queued !== undefined) return Promise.resolve(queued)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message')), timeoutMs)
        waiting.push((data) => {
          clearTimeout(timer)
          resolve(data)
        })
      })
    },
  }
}

/** Message `i` of the echo test: every other one binary; a 1 MiB one in every hundred, the rest up to 5 KB. */
function message(i: number): string | Uint8Array {
  const size = i % 100 === 99 ? 1024 * 1024 : (i * 7919) % 5000
  if (i % 2 === 0) return `${i}:`.padEnd(Math.max(size, `${i}:`.length), String.fromCharCode(97 + (i % 26)))
  const bytes = new Uint8Array(size)
  for (let j = 0; j < size; j++) bytes[j] = (i + j * 31) & 0xff
  return bytes
}

const invocations = async (name: string, code: string): Promise<number> => {
  const text = await (await fetch(`${gateway.url}/metrics`)).text()
  const line = text
    .split('\n')
    .find((l) =>
      l.startsWith(`gateway_function_invocation_total{function_name="${name}.openfaas-fn",code="${code}"}`),
    )
  return line ? Number(line.split(' ').at(-1)) : 0
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgefaas-websocket-'))
  provider = await startProvider({ port: 0, stateDir: join(dir, 'provider'), coldStartMs: 50, log: () => {} })
  gateway = await startWorkerd({
    bundleDir: productionBundle(),
    vars: {
      FUNCTIONS_PROVIDER_URL: provider.url,
      SYNC_INTERVAL: '500ms',
      REPLICA_CACHE_TTL: '100ms',
      // Short, so that a connection outlives the time a silent isolate's calls count as in flight.
      UPSTREAM_TIMEOUT: '3s',
    },
  })
  await deploy('chat', { mode: 'http' })
}, 60_000)

afterAll(async () => {
  await gateway?.close()
  await provider?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('WebSockets through the gateway', () => {
  it('echoes 1,000 messages of mixed kinds and sizes, up to 1 MiB, in order and intact', async () => {
    const before = await invocations('chat', '101')
    const socket = await connect('/function/chat/room?user=1')
    const WINDOW = 8
    let sent = 0
    let received = 0
    const pending: (string | Uint8Array)[] = []
    while (received < 1000) {
      while (sent < 1000 && sent - received < WINDOW) {
        const m = message(sent++)
        pending.push(m)
        socket.ws.send(m)
      }
      const echoed = await socket.next()
      const expected = pending.shift() as string | Uint8Array
      if (typeof expected === 'string') expect(echoed).toBe(expected)
      else {
        expect(echoed).toBeInstanceOf(ArrayBuffer)
        expect(Buffer.compare(Buffer.from(echoed as ArrayBuffer), Buffer.from(expected))).toBe(0)
      }
      received++
    }
    socket.ws.close(1000, 'done')
    const closed = await socket.closed
    expect(closed.code).toBe(1000)
    // One invocation for the connection, counted when it closed; its line in the call log says what passed.
    await until('the connection to be counted', 10_000, async () =>
      (await invocations('chat', '101')) === before + 1 ? true : undefined,
    )
    const line = await until('its call-log line', 10_000, async () =>
      gateway
        .output()
        .split('\n')
        .find((l) => l.startsWith('{"kind":"websocket"') && l.includes('"path":"/function/chat/room"')),
    )
    expect(JSON.parse(line)).toMatchObject({
      function: 'chat',
      status: 101,
      messagesIn: 1000,
      messagesOut: 1000,
    })
  }, 120_000)

  it('wakes a function at zero for a WebSocket, which then serves', async () => {
    const scaled = await fetch(`${gateway.url}/system/scale-function/chat`, {
      method: 'POST',
      body: JSON.stringify({ serviceName: 'chat', replicas: 0 }),
    })
    expect(scaled.status).toBe(202)
    await until('chat at zero', 15_000, async () =>
      (await statusOf('chat')).availableReplicas === 0 ? true : undefined,
    )
    const socket = await connect('/function/chat')
    socket.ws.send('awake?')
    expect(await socket.next()).toBe('awake?')
    expect((await statusOf('chat')).availableReplicas).toBeGreaterThan(0)
    socket.ws.close()
    await socket.closed
  }, 60_000)

  it('answers an upgrade to a classic-mode function with a 400 that says why, from the provider', async () => {
    await deploy('classic')
    const response = await rawRequest(gateway.port, upgradeText('/function/classic'))
    expect(response.status).toBe(400)
    expect(response.body).toContain('classic mode')
    expect(response.body).toContain('mode=http')
  }, 30_000)

  it('streams server-sent events from an HTTP-mode function as they are written', async () => {
    const started = Date.now()
    const res = await fetch(`${gateway.url}/function/chat/sse?count=3&interval=700`)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const first = await reader.read()
    const firstAt = Date.now() - started
    expect(new TextDecoder().decode(first.value)).toContain('data: event 1')
    let rest = ''
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      rest += new TextDecoder().decode(chunk.value)
    expect(rest).toContain('data: event 3')
    // The last event is written 1.4 s after the first: the first arrived well before it.
    expect(Date.now() - started - firstAt).toBeGreaterThanOrEqual(1000)
  }, 30_000)
})

describe('the idler and open WebSockets', () => {
  it('leaves a function with an open WebSocket above zero, and idles it once the socket closes', async () => {
    await deploy('held', {
      mode: 'http',
      labels: { 'com.openfaas.scale.zero': 'true', 'com.openfaas.scale.zero-duration': '2s' },
    })
    const socket = await connect('/function/held')
    socket.ws.send('hello')
    expect(await socket.next()).toBe('hello')
    // Silent for longer than the idle duration, the upstream timeout and the shards' 10 s memory together.
    const seen: number[] = []
    const until16s = Date.now() + 16_000
    while (Date.now() < until16s) {
      seen.push((await statusOf('held')).replicas)
      await sleep(500)
    }
    expect(seen.length).toBeGreaterThan(20)
    expect(seen).not.toContain(0)
    socket.ws.send('still there')
    expect(await socket.next()).toBe('still there')
    socket.ws.close()
    await socket.closed
    await until('held to idle to zero', 30_000, async () =>
      (await statusOf('held')).replicas === 0 ? true : undefined,
    )
  }, 90_000)
})
