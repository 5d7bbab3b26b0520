import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { handleAsyncFunctions, listedAsyncFunctions } from './async-functions.ts'
import type { Recorded } from './recorded.ts'
import { handleModelled } from './replicas.ts'

/**
 * A real HTTP server on loopback standing in for an OpenFaaS provider in the
 * gateway's tests. It answers each provider route the way a provider does and
 * records what reached it, keyed by the `x-test-id` header each test sends,
 * so tests can assert on what the gateway forwarded.
 */

const recorded = new Map<string, Recorded[]>()
const progress = new Map<string, number>()
const releases = new Map<string, () => void>()

// A test tags its requests with an `x-test-id` header or, where the gateway
// forwards no caller headers (health checks), by pointing the gateway at
// `/__t/{id}` on this server: the prefix is the tag and is removed here.
const TAGGED_PATH = /^\/__t\/([^/?]+)(.*)$/

function identify(req: IncomingMessage): { id: string; target: string } {
  const target = req.url ?? '/'
  const tagged = TAGGED_PATH.exec(target)
  if (tagged) return { id: tagged[1] ?? '', target: tagged[2] || '/' }
  return { id: String(req.headers['x-test-id'] ?? 'untagged'), target }
}

function waitForRelease(id: string): Promise<void> {
  return new Promise((resolve) => releases.set(id, resolve))
}

async function readBody(
  req: IncomingMessage,
  id: string,
): Promise<{ text: string; bytes: number; sha256: string }> {
  const hash = createHash('sha256')
  const head: Buffer[] = []
  let bytes = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    hash.update(chunk)
    if (bytes < 64 * 1024) head.push(chunk)
    bytes += chunk.length
    progress.set(id, bytes)
  }
  return {
    text: Buffer.concat(head)
      .toString('utf8')
      .slice(0, 64 * 1024),
    bytes,
    sha256: hash.digest('hex'),
  }
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(value))
}

const functions = [
  {
    name: 'echo',
    image: 'functions/echo:latest',
    namespace: 'openfaas-fn',
    replicas: 1,
    availableReplicas: 1,
    invocationCount: 0,
  },
]

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { id, target } = identify(req)
  const url = new URL(target, 'http://upstream')
  const path = url.pathname

  if (path === '/__control/requests')
    return json(res, 200, recorded.get(url.searchParams.get('test') ?? '') ?? [])
  if (path === '/__control/progress')
    return json(res, 200, { bytes: progress.get(url.searchParams.get('test') ?? '') ?? 0 })
  if (path === '/__control/release') {
    const release = releases.get(url.searchParams.get('test') ?? '')
    release?.()
    return json(res, release ? 200 : 404, { released: Boolean(release) })
  }

  // Tests watch progress() while this body is still arriving.
  if (path.startsWith('/function/stream-sink')) {
    const body = await readBody(req, id)
    record(id, target, req, body)
    return json(res, 200, { bytes: body.bytes, sha256: body.sha256 })
  }

  const body = await readBody(req, id)
  record(id, target, req, body)
  if (handleModelled(req, res, url, body.text)) return
  if (handleAsyncFunctions(req, res, url, body)) return

  if (path.startsWith('/function/sse')) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    res.write('data: first\n\n')
    await waitForRelease(id)
    res.end('data: second\n\n')
    return
  }
  if (path.startsWith('/function/download')) {
    const total = Number(url.searchParams.get('bytes') ?? '0')
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    const chunk = Buffer.alloc(64 * 1024, 'x')
    let sent = 0
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent)
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        await new Promise((resolve) => res.once('drain', resolve))
      }
      sent += n
    }
    res.end()
    return
  }
  if (path.startsWith('/function/slow')) {
    await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get('ms') ?? '5000')))
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('slow')
    return
  }
  if (path.startsWith('/function/redirect')) {
    res.writeHead(302, { location: '/elsewhere' })
    res.end('moved')
    return
  }
  if (path.startsWith('/function/status')) {
    res.writeHead(Number(url.searchParams.get('code') ?? '200'), {
      'content-type': 'text/plain',
      'x-from': 'function',
    })
    res.end(`status ${url.searchParams.get('code')}`)
    return
  }
  // A function that reports its own Server-Timing, which the gateway's entries join.
  if (path.startsWith('/function/timed')) {
    res.writeHead(200, {
      'content-type': 'text/plain',
      'content-length': '5',
      'server-timing': 'db;dur=7;desc="query"',
    })
    res.end('timed')
    return
  }
  if (path.startsWith('/function/gzip')) {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' })
    res.end(gzipSync(Buffer.from('compressed by the function')))
    return
  }
  if (path.startsWith('/function/hop')) {
    res.writeHead(200, {
      connection: 'x-dropped',
      'x-dropped': 'should not pass',
      'x-kept': 'passes',
      'keep-alive': 'timeout=5',
      'content-type': 'text/plain',
    })
    res.end('hop')
    return
  }
  if (path.startsWith('/function/')) {
    res.writeHead(200, {
      'content-type': req.headers['content-type'] ?? 'text/plain',
      'x-duration-seconds': '0.001',
    })
    res.end(body.text)
    return
  }

  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('OK')
    return
  }
  if (path === '/system/info') {
    return json(res, 200, {
      provider: 'test-provider',
      orchestration: 'test',
      version: { sha: 'abc123', release: '9.9.9' },
    })
  }
  if (path === '/system/functions') {
    if (req.method === 'GET')
      return json(res, 200, [
        ...functions,
        ...listedAsyncFunctions(url.searchParams.get('namespace') || 'openfaas-fn'),
      ])
    if (req.method === 'DELETE') {
      const { functionName } = JSON.parse(body.text) as { functionName: string }
      if (functionName === 'missing') return text(res, 404, 'function missing not found')
      return text(res, 202, '')
    }
    return text(res, 202, '')
  }
  const one = /^\/system\/function\/([^/]+)$/.exec(path)
  if (one) {
    if (one[1] === 'missing') return text(res, 404, 'function missing not found')
    return json(res, 200, { ...functions[0], name: one[1] })
  }
  if (path.startsWith('/system/scale-function/')) return text(res, 202, '')
  if (path === '/system/secrets') {
    if (req.method === 'GET') return json(res, 200, [{ name: 'api-key', namespace: 'openfaas-fn' }])
    return text(res, req.method === 'POST' ? 201 : 200, '')
  }
  if (path === '/system/namespaces') return json(res, 200, ['openfaas-fn', 'staging'])
  if (path.startsWith('/system/namespace/')) return json(res, 200, { name: path.split('/').pop() })
  if (path === '/system/logs') {
    const name = url.searchParams.get('name')
    if (name === 'nologs') return text(res, 501, 'not implemented')
    res.writeHead(200, { 'content-type': 'application/x-ndjson' })
    const line = (n: number) =>
      `${JSON.stringify({ name, namespace: 'openfaas-fn', instance: 'i-1', timestamp: new Date().toISOString(), text: `line ${n}` })}\n`
    res.write(line(1))
    if (url.searchParams.get('follow') === 'true') {
      await waitForRelease(id)
      res.write(line(2))
      await waitForRelease(id)
    }
    res.end(line(3))
    return
  }
  text(res, 404, `upstream has no route ${req.method} ${path}`)
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' })
  res.end(body)
}

function record(
  id: string,
  target: string,
  req: IncomingMessage,
  body: { text: string; bytes: number; sha256: string },
): void {
  const list = recorded.get(id) ?? []
  list.push({
    method: req.method ?? '',
    url: target,
    headers: req.headers,
    body: body.text,
    bytes: body.bytes,
    sha256: body.sha256,
  })
  recorded.set(id, list)
}

export async function startUpstream(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) text(res, 500, String(error))
      else res.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, server }
}
