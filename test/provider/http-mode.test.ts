import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  deploy,
  isAlive,
  logs,
  startTestProvider,
  status,
  type TestProvider,
  waitFor,
  waitForReady,
} from './helpers.ts'

// HTTP mode (of-watchdog's mode=http) and WebSockets, with real server processes on loopback: the function
// is examples/node-http/index.mjs, one long-running server per replica.

const example = fileURLToPath(new URL('../../examples/node-http/index.mjs', import.meta.url))
const READY_PATH = 'com.openfaas.ready.http.path'
const p = await startTestProvider({ secretsMode: 'directory', coldStartMs: 10 })

type Deployment = { service: string; envVars?: Record<string, string>; [field: string]: unknown }
const httpMode = ({ envVars, ...deployment }: Deployment) => ({
  envProcess: `${process.execPath} ${example}`,
  ...deployment,
  envVars: { mode: 'http', ...envVars },
})

async function texts(provider: TestProvider, name: string): Promise<string[]> {
  return (await logs(provider, `name=${name}`)).map((e) => e.text)
}

// The pid of the server process that answered.
async function servedBy(provider: TestProvider, name: string): Promise<number> {
  const res = await provider.request('GET', `/function/${name}`)
  expect(res.status, res.text).toBe(200)
  return Number(res.headers.get('x-served-by'))
}

async function envOf(provider: TestProvider, name: string): Promise<Record<string, string>> {
  const res = await provider.request('GET', `/function/${name}/env`)
  expect(res.status, res.text).toBe(200)
  return res.json()
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

// A WebSocket handshake written by hand, and whatever comes back until the provider closes the connection.
async function rawUpgrade(path: string): Promise<{ head: string; body: string }> {
  const socket = connect(p.port, '127.0.0.1')
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${p.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  )
  const chunks: Buffer[] = []
  for await (const chunk of socket) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  const end = text.indexOf('\r\n\r\n')
  return { head: text.slice(0, end), body: text.slice(end + 4) }
}

async function openSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url)
  ws.binaryType = 'arraybuffer'
  await new Promise((resolve, reject) => {
    ws.onopen = resolve
    ws.onerror = () => reject(new Error(`WebSocket ${url} failed to open`))
  })
  return ws
}

function nextMessage(ws: WebSocket): Promise<string | ArrayBuffer> {
  return new Promise((resolve, reject) => {
    ws.onmessage = (event) => resolve(event.data as string | ArrayBuffer)
    ws.onerror = () => reject(new Error('WebSocket error'))
  })
}

describe('HTTP mode: readiness', () => {
  it('counts a replica available only once its ready path answers 2xx', async () => {
    const started = Date.now()
    const spec = httpMode({
      service: 'slowready',
      envVars: { READY_DELAY_MS: '1500' },
      annotations: { [READY_PATH]: '/ready' },
    })
    await deploy(p, spec, false)
    // The server listens long before /ready says 200: listening is not enough.
    await waitFor(
      async () => (await texts(p, 'slowready')).some((t) => t.startsWith('listening on')),
      'a listen',
    )
    expect(await status(p, 'slowready')).toMatchObject({ replicas: 1, availableReplicas: 0 })
    const early = await p.request('GET', '/function/slowready')
    expect(early.status).toBe(503)
    expect(early.text).toContain('function slowready.openfaas-fn has no ready replicas yet')

    await waitForReady(p, 'slowready')
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500)
    expect(await texts(p, 'slowready')).toContain('Ready: GET /ready answered 2xx')
    expect((await p.request('POST', '/function/slowready', 'warm')).text).toBe('warm')
  })

  it('without a ready path, counts a replica available once its port accepts connections', async () => {
    await deploy(p, httpMode({ service: 'tcpready', envVars: { READY_DELAY_MS: '600000' } }))
    // Ready for the provider, though the function's own /ready would say 503 for minutes (and is passed on).
    expect((await p.request('GET', '/function/tcpready/ready')).status).toBe(503)
    expect((await p.request('POST', '/function/tcpready', 'hi')).text).toBe('hi')
    expect(
      (await texts(p, 'tcpready')).some((t) => /^Ready: accepting connections on port \d+$/.test(t)),
    ).toBe(true)
  })

  it("logs the server's stdout and stderr lines under its replica's name", async () => {
    const entries = await logs(p, 'name=tcpready')
    const listening = entries.find((e) => e.text.startsWith('listening on 127.0.0.1:'))
    expect(listening?.instance).toMatch(/^tcpready-[0-9a-f]{6}$/)
    expect(entries.find((e) => e.text === 'POST /')?.instance).toBe(listening?.instance)
    expect(
      entries.some((e) => /^Forking - .*index\.mjs \(upstream_url=http:\/\/127\.0\.0\.1:\d+\)$/.test(e.text)),
    ).toBe(true)
  })
})

describe('HTTP mode: calls', () => {
  beforeAll(async () => {
    await deploy(p, httpMode({ service: 'echo' }))
  })

  it('passes the method, the path after the function, the query, headers and body, and the answer', async () => {
    const cases: [string, string][] = [
      ['/function/echo/some/path?a=1&b=two%20words', '/some/path?a=1&b=two%20words'],
      ['/function/echo', '/'],
      ['/function/echo/', '/'],
      ['/function/echo.openfaas-fn?x=1', '/?x=1'],
    ]
    for (const [path, asked] of cases) {
      const res = await p.request('PUT', path, 'the body', { 'Content-Type': 'application/x-custom' })
      expect(res.status, path).toBe(200)
      expect(res.text).toBe('the body')
      expect(res.headers.get('x-request-url'), path).toBe(asked)
      expect(res.headers.get('content-type')).toBe('application/x-custom')
      expect(Number(res.headers.get('x-duration-seconds'))).toBeGreaterThanOrEqual(0)
    }
    expect(await texts(p, 'echo')).toContain('PUT /some/path')
    // One server, kept warm: every call above reached the same process.
    expect(new Set([await servedBy(p, 'echo'), await servedBy(p, 'echo')]).size).toBe(1)
    expect((await status(p, 'echo')).invocationCount).toBeGreaterThanOrEqual(6)
  })

  it('streams a chunked upload of several MiB to the function', async () => {
    const hash = createHash('sha256')
    const chunks = 128
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === chunks) {
          controller.close()
          return
        }
        const chunk = randomBytes(64 * 1024)
        hash.update(chunk)
        controller.enqueue(chunk)
        sent++
      },
    })
    const res = await fetch(`${p.url}/function/echo/upload`, {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ bytes: chunks * 64 * 1024, sha256: hash.digest('hex') })
  })

  it('streams server-sent events as they are written', async () => {
    const res = await fetch(`${p.url}/function/echo/sse?count=4&interval=300`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    const first = await reader.read()
    const firstAt = Date.now()
    let text = decoder.decode(first.value, { stream: true })
    expect(text).toContain('data: event 1')
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      text += decoder.decode(chunk.value, { stream: true })
    // The last event was written 900 ms after the first: nothing waited for it.
    expect(Date.now() - firstAt).toBeGreaterThanOrEqual(600)
    expect(text).toContain('data: event 4')
  })

  it('holds a replica slot for each call, so max_inflight queues the rest', async () => {
    await deploy(p, httpMode({ service: 'single', envVars: { max_inflight: '1' } }))
    const calls = [1, 2].map(() => p.request('GET', '/function/single/slow?ms=400'))
    await waitFor(() => p.stats().queued === 1, 'one call running, one queued')
    for (const res of await Promise.all(calls)) expect(res.text).toBe('slow')
    expect(p.stats().queued).toBe(0)
  })

  it('answers 504 naming exec_timeout without a response head in time, and cuts a longer stream', async () => {
    await deploy(p, httpMode({ service: 'limited', envVars: { exec_timeout: '500ms' } }))
    const slow = await p.request('GET', '/function/limited/slow?ms=3000')
    expect(slow.status).toBe(504)
    expect(slow.text).toBe('function limited.openfaas-fn did not answer within exec_timeout of 500ms')

    const stream = await fetch(`${p.url}/function/limited/sse?count=20&interval=100`)
    expect(stream.status).toBe(200)
    await expect(stream.text()).rejects.toThrow()
    expect(await texts(p, 'limited')).toContain('exec_timeout of 500ms exceeded: the response stream was cut')
  })

  it('answers 502 naming the function when its replica dies mid-call, then restarts it', async () => {
    await deploy(p, httpMode({ service: 'crashy' }))
    const before = await servedBy(p, 'crashy')
    const res = await p.request('GET', '/function/crashy/crash')
    expect(res.status).toBe(502)
    expect(res.text).toMatch(/^function crashy\.openfaas-fn: replica crashy-[0-9a-f]{6} did not answer/)
    await waitFor(async () => (await status(p, 'crashy')).availableReplicas === 0, 'the replica to be down')
    await waitFor(
      async () =>
        (await texts(p, 'crashy')).some((t) => /exited \(exit status 3\).*restart 1 in 0\.5s$/.test(t)),
      'the restart to be logged',
    )
    await waitForReady(p, 'crashy')
    const after = await servedBy(p, 'crashy')
    expect(after).not.toBe(before)
    expect(isAlive(before)).toBe(false)
  })
})

describe('HTTP mode: replicas', () => {
  it('lets calls in flight finish on a scale to zero, and spreads calls over replicas', async () => {
    await deploy(p, httpMode({ service: 'scaled' }))
    const first = await servedBy(p, 'scaled')
    const calls = [1, 2, 3].map(() => p.request('GET', '/function/scaled/slow?ms=1500'))
    await waitFor(
      async () => (await texts(p, 'scaled')).filter((t) => t === 'GET /slow').length === 3,
      'three calls in flight',
    )
    expect((await p.request('POST', '/system/scale-function/scaled', { replicas: 0 })).status).toBe(202)
    expect(await status(p, 'scaled')).toMatchObject({ replicas: 0, availableReplicas: 0 })
    for (const res of await Promise.all(calls)) expect([res.status, res.text]).toEqual([200, 'slow'])
    // It exits on its own once its calls are done, well before write_timeout.
    await waitFor(
      async () =>
        (await texts(p, 'scaled')).some((t) =>
          t.startsWith(`Server process ${first} stopped (exit status 0)`),
        ),
      'the scaled-down server to exit',
    )
    expect(isAlive(first)).toBe(false)
    expect(
      (await texts(p, 'scaled')).some((t) => t.startsWith(`Stopping: SIGTERM to process group ${first}`)),
    ).toBe(true)

    expect((await p.request('POST', '/system/scale-function/scaled', { replicas: 2 })).status).toBe(202)
    await waitForReady(p, 'scaled', undefined, 2)
    const pids = new Set<number>()
    for (let i = 0; i < 6; i++) pids.add(await servedBy(p, 'scaled'))
    expect(pids.size).toBe(2)
  })

  it("stops a deleted function's servers, leaving no process behind", async () => {
    await deploy(p, httpMode({ service: 'doomed', labels: { 'com.openfaas.scale.min': '2' } }))
    const pids = new Set<number>()
    await waitFor(async () => pids.add(await servedBy(p, 'doomed')).size === 2, 'both replicas to answer')
    const servers = p.stats().servers
    expect((await p.request('DELETE', '/system/functions', { functionName: 'doomed' })).status).toBe(202)
    for (const pid of pids) await waitFor(() => !isAlive(pid), `server ${pid} to exit`)
    await waitFor(() => p.stats().servers === servers - 2, 'the servers to leave the count')
    expect((await p.request('GET', '/function/doomed')).status).toBe(404)
  })

  it('replaces the servers on an update, which then run the new spec', async () => {
    await deploy(p, httpMode({ service: 'updated', envVars: { GREETING: 'one' } }))
    const before = await servedBy(p, 'updated')
    expect((await envOf(p, 'updated')).GREETING).toBe('one')
    const update = httpMode({ service: 'updated', image: 'example/fn:2', envVars: { GREETING: 'two' } })
    expect((await p.request('PUT', '/system/functions', update)).status).toBe(202)
    await waitForReady(p, 'updated')
    expect((await envOf(p, 'updated')).GREETING).toBe('two')
    expect(await servedBy(p, 'updated')).not.toBe(before)
    await waitFor(() => !isAlive(before), 'the old server to exit')
  })
})

describe('HTTP mode: environment, secrets and ports', () => {
  it('gives the server PORT and upstream_url, its envVars and secrets, and nothing of the provider', async () => {
    expect((await p.request('POST', '/system/secrets', { name: 'api-key', value: 's3cr3t' })).status).toBe(
      201,
    )
    process.env.EDGEFAAS_TEST_LEAK = 'leaked'
    try {
      await deploy(p, httpMode({ service: 'envfn', envVars: { greeting: 'hello' }, secrets: ['api-key'] }))
    } finally {
      delete process.env.EDGEFAAS_TEST_LEAK
    }
    const env = await envOf(p, 'envfn')
    expect(env.upstream_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(env.PORT).toBe(new URL(env.upstream_url ?? '').port)
    expect(env.greeting).toBe('hello')
    expect(env.mode).toBe('http')
    expect(env.PATH).toBeTruthy()
    expect(env.secret_mount_path).toBeTruthy()
    expect(env).not.toHaveProperty('EDGEFAAS_TEST_LEAK')
    expect((await p.request('GET', '/function/envfn/secrets/api-key')).text).toBe('s3cr3t')
    // Secret files change under the running server.
    expect((await p.request('PUT', '/system/secrets', { name: 'api-key', value: 'rotated' })).status).toBe(
      200,
    )
    expect((await p.request('GET', '/function/envfn/secrets/api-key')).text).toBe('rotated')
  })

  it('runs on the fixed port upstream_url names, one replica only', async () => {
    const port = await freePort()
    const upstream = `http://127.0.0.1:${port}`
    await deploy(p, httpMode({ service: 'fixed', envVars: { upstream_url: upstream, GREETING: 'one' } }))
    expect(await envOf(p, 'fixed')).toMatchObject({ PORT: String(port), upstream_url: upstream })

    const scale = await p.request('POST', '/system/scale-function/fixed', { replicas: 2 })
    expect(scale.status).toBe(400)
    expect(scale.text).toContain(`cannot run 2 replicas: its upstream_url ${upstream} names a fixed port`)
    const twoMin = httpMode({
      service: 'fixed',
      envVars: { upstream_url: upstream },
      labels: { 'com.openfaas.scale.min': '2' },
    })
    expect((await p.request('PUT', '/system/functions', { image: 'x', ...twoMin })).status).toBe(400)
    const taken = await p.request('POST', '/system/functions', {
      image: 'x',
      ...httpMode({ service: 'squatter', envVars: { upstream_url: `http://localhost:${port}` } }),
    })
    expect(taken.status).toBe(400)
    expect(taken.text).toContain(`upstream_url port ${port} is already used by function fixed.openfaas-fn`)
    expect(await status(p, 'fixed')).toMatchObject({ replicas: 1, availableReplicas: 1 })

    // An update's new server waits for the old one to free the port.
    const update = httpMode({
      service: 'fixed',
      image: 'x',
      envVars: { upstream_url: upstream, GREETING: 'two' },
    })
    expect((await p.request('PUT', '/system/functions', update)).status).toBe(202)
    await waitForReady(p, 'fixed')
    expect(await envOf(p, 'fixed')).toMatchObject({ PORT: String(port), GREETING: 'two' })
  })

  it('refuses a bad upstream_url, write_timeout or ready path with a 400 naming it', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { envVars: { upstream_url: 'http://example.com:5000' } },
        /invalid upstream_url "http:\/\/example.com:5000"/,
      ],
      [{ envVars: { upstream_url: 'http://127.0.0.1' } }, /invalid upstream_url/],
      [{ envVars: { upstream_url: 'https://127.0.0.1:5000' } }, /invalid upstream_url/],
      [{ envVars: { upstream_url: 'http://127.0.0.1:70000' } }, /invalid upstream_url/],
      [{ envVars: { upstream_url: 'http://127.0.0.1:5000/api' } }, /invalid upstream_url/],
      [
        { envVars: { upstream_url: 'http://127.0.0.1:5000' }, labels: { 'com.openfaas.scale.min': '2' } },
        /cannot run 2 replicas: its upstream_url http:\/\/127.0.0.1:5000 names a fixed port/,
      ],
      [{ envVars: { write_timeout: 'soon' } }, /invalid write_timeout "soon"/],
      [{ annotations: { [READY_PATH]: 'ready' } }, /invalid annotation com.openfaas.ready.http.path "ready"/],
      [{ envProcess: '' }, /mode=http but no envProcess/],
    ]
    for (const [fields, message] of cases) {
      const { envVars, ...rest } = fields as { envVars?: Record<string, string> }
      const res = await p.request('POST', '/system/functions', {
        image: 'x',
        ...httpMode({ service: 'refused', envVars }),
        ...rest,
      })
      expect(res.status, JSON.stringify(fields)).toBe(400)
      expect(res.text).toMatch(message)
    }
    expect((await p.request('GET', '/system/function/refused')).status).toBe(404)
  })
})

describe('WebSockets', () => {
  beforeAll(async () => {
    await deploy(p, httpMode({ service: 'chat' }))
  })

  it('echoes text and binary messages, a 1 MiB one included, through the provider', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${p.port}/function/chat/room?name=a`)
    expect(p.stats().tunnels).toBe(1)
    ws.send('hello')
    expect(await nextMessage(ws)).toBe('hello')
    const small = randomBytes(100)
    ws.send(small)
    expect(Buffer.from((await nextMessage(ws)) as ArrayBuffer)).toEqual(small)
    const big = randomBytes(1024 * 1024)
    ws.send(big)
    expect(Buffer.from((await nextMessage(ws)) as ArrayBuffer).equals(big)).toBe(true)
    const closed = new Promise((resolve) => ws.addEventListener('close', resolve))
    ws.close()
    await closed
    await waitFor(() => p.stats().tunnels === 0, 'the tunnel to close')
    const lines = await texts(p, 'chat')
    expect(lines).toContain('websocket /room?name=a')
    expect(lines).toContain('websocket /room?name=a: connected')
    // The slot is free again: the replica takes calls.
    expect((await p.request('POST', '/function/chat', 'after')).text).toBe('after')
  })

  it('answers an upgrade to a classic-mode function with 400 and why', async () => {
    await deploy(p, { service: 'plain', envProcess: 'cat' })
    const { head, body } = await rawUpgrade('/function/plain/socket')
    expect(head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
    expect(body).toBe(
      'function plain.openfaas-fn runs in classic mode (one process per request), which cannot hold a ' +
        'WebSocket: deploy it with envVars mode=http',
    )
  })

  it('answers 404 for an unknown function or another path, and 503 without a ready replica', async () => {
    const unknown = await rawUpgrade('/function/nope')
    expect(unknown.head).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/)
    expect(unknown.body).toBe('function nope not found in namespace openfaas-fn')
    expect((await rawUpgrade('/function/UPPER')).head).toMatch(/^HTTP\/1\.1 404 /)
    const other = await rawUpgrade('/system/functions')
    expect(other.head).toMatch(/^HTTP\/1\.1 404 /)
    expect(other.body).toContain('/function/{name}')

    await deploy(p, httpMode({ service: 'idle', labels: { 'com.openfaas.scale.min': '0' } }), false)
    const idle = await rawUpgrade('/function/idle')
    expect(idle.head).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/)
    expect(idle.body).toBe('function idle.openfaas-fn is scaled to zero: no replicas available')
  })

  it('cuts open WebSockets and kills the servers when the provider closes', async () => {
    const own = await startTestProvider({ secretsMode: 'directory' })
    await deploy(own, httpMode({ service: 'held' }))
    const pid = await servedBy(own, 'held')
    const ws = await openSocket(`ws://127.0.0.1:${own.port}/function/held`)
    const closed = new Promise((resolve) => ws.addEventListener('close', resolve))
    await own.close()
    await closed
    expect(isAlive(pid)).toBe(false)
    expect(own.stats()).toMatchObject({ processes: 0, servers: 0, tunnels: 0 })
  })
})

describe('HTTP mode in a private mount namespace', () => {
  let ns: TestProvider
  beforeAll(async () => {
    ns = await startTestProvider({ secretsMode: 'auto' })
  })

  it('mounts the secrets at /var/openfaas/secrets and stops the server cleanly', async (ctx) => {
    if (ns.secretsMode !== 'namespace') ctx.skip('needs root and unshare')
    await ns.request('POST', '/system/secrets', { name: 'ns-key', value: 'mounted' })
    await deploy(ns, httpMode({ service: 'mounted', secrets: ['ns-key'] }))
    expect((await ns.request('GET', '/function/mounted/secrets/ns-key')).text).toBe('mounted')
    expect(await envOf(ns, 'mounted')).not.toHaveProperty('secret_mount_path')
    const pid = await servedBy(ns, 'mounted')
    expect((await ns.request('DELETE', '/system/functions', { functionName: 'mounted' })).status).toBe(202)
    await waitFor(() => !isAlive(pid), 'the server to exit')
    await waitFor(() => ns.stats().servers === 0, 'no server left')
  })
})
