import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { buildBundle, startWorkerd } from '../../scripts/production-worker.mjs'

// The production bundle in workerd with no proxy in front, a recording
// upstream that logs each request target exactly as it arrived, and raw bytes
// over a socket: nothing between the attacker's bytes and the gateway
// normalises the path, as it would not in production.

export type Received = { method: string; target: string; headers: IncomingHttpHeaders; body: Buffer }

export type Upstream = {
  url: string
  received: Received[]
  close(): Promise<void>
}

export type UpstreamOptions = {
  /** The labels a function's status reports (none unless given): `com.edgefaas.invoke-auth`, say. */
  labels?: (name: string, namespace: string) => Record<string, string> | undefined
}

/**
 * Answers every request with 200 and remembers it; `/function/*` echoes the body, as a function would.
 * A WebSocket handshake is remembered too, and answered 400.
 */
export async function recordingUpstream({ labels }: UpstreamOptions = {}): Promise<Upstream> {
  const received: Received[] = []
  const server: Server = createServer((req, res) => {
    const record: Received = {
      method: req.method ?? '',
      target: req.url ?? '',
      headers: req.headers,
      body: Buffer.alloc(0),
    }
    received.push(record)
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      record.body = Buffer.concat(chunks)
      // The gateway asks for a function's status before its first invocation: every function is ready here.
      const status = /^\/system\/function\/([^/?]+)\?namespace=(.+)$/.exec(record.target)
      const list =
        record.target.startsWith('/system/functions?') ||
        (record.target === '/system/functions' && req.method === 'GET')
      if (record.target === '/system/namespaces' || list) {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(record.target === '/system/namespaces' ? '["openfaas-fn"]' : '[]')
        return
      }
      if (status && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({
            name: status[1],
            namespace: status[2],
            image: 'x',
            replicas: 1,
            availableReplicas: 1,
            ...(labels && { labels: labels(status[1] as string, status[2] as string) }),
          }),
        )
        return
      }
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end(record.body)
    })
  })
  // A WebSocket handshake is recorded like any request, then refused: nothing here speaks WebSocket.
  server.on('upgrade', (req, socket) => {
    received.push({
      method: req.method ?? '',
      target: req.url ?? '',
      headers: req.headers,
      body: Buffer.alloc(0),
    })
    socket.end(
      'HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: 13\r\n\r\nno websocket\n',
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

let bundle: string | undefined

/** The bundle `wrangler deploy` would upload, built once per test process. */
export function productionBundle(): string {
  bundle ??= buildBundle()
  return bundle
}

export type RawGateway = {
  port: number
  upstream: Upstream
  close(): Promise<void>
}

export async function startRawGateway(
  vars: Record<string, string>,
  upstreamOptions?: UpstreamOptions,
): Promise<RawGateway> {
  const upstream = await recordingUpstream(upstreamOptions)
  const workerd = await startWorkerd({
    bundleDir: productionBundle(),
    vars: { FUNCTIONS_PROVIDER_URL: upstream.url, UPSTREAM_TIMEOUT: '5s', ...vars },
  })
  return {
    port: workerd.port,
    upstream,
    async close() {
      await workerd.close()
      await upstream.close()
    },
  }
}

export type RawResponse = { status: number | undefined; head: string; body: string }

/**
 * Sends bytes as they are and reads the answer until the server closes the
 * connection (requests should say `Connection: close`). `status` is
 * undefined when the server closed without a response.
 */
export function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes))
    const timer = setTimeout(() => {
      socket.destroy()
      reject(
        new Error(
          `no complete answer within ${timeoutMs} ms to ${JSON.stringify(String(bytes).slice(0, 200))}`,
        ),
      )
    }, timeoutMs)
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    const finish = () => {
      clearTimeout(timer)
      const text = Buffer.concat(chunks).toString('latin1')
      const split = text.indexOf('\r\n\r\n')
      const head = split === -1 ? text : text.slice(0, split)
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]
      resolve({
        status: status ? Number(status) : undefined,
        head,
        body: split === -1 ? '' : text.slice(split + 4),
      })
    }
    socket.on('close', finish)
    socket.on('error', () => {})
  })
}

/** A request as raw text: request line, Host, `Connection: close`, extra header lines, optional body. */
export function requestText(
  method: string,
  target: string,
  {
    host = '127.0.0.1',
    headers = [] as string[],
    body,
  }: { host?: string; headers?: string[]; body?: string } = {},
): string {
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${host}`, 'Connection: close', ...headers]
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`)
  return `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`
}

/** A WebSocket handshake as a browser sends it, raw. */
export const upgradeText = (target: string): string =>
  [
    `GET ${target} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    '',
    '',
  ].join('\r\n')

/** Whatever reached the upstream since `mark` (an index into `received`). */
export function since(upstream: Upstream, mark: number): Received[] {
  return upstream.received.slice(mark)
}

// An oracle independent of the gateway's own code: decode as far as it goes,
// read `\` as `/`, drop path parameters, fold Unicode, let WHATWG URL resolve.
export function resolvedByAnyServer(target: string): string {
  let path = target.split('?', 1)[0] ?? ''
  for (let i = 0; i < 10; i++) {
    const next = path.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    )
    if (next === path) break
    path = next
  }
  const bytes = Uint8Array.from(path, (ch) => ch.charCodeAt(0) & 0xff)
  const unicode = new TextDecoder().decode(bytes).normalize('NFKC')
  const cleaned = unicode
    .replace(/\\/g, '/')
    .split('/')
    .map((segment) =>
      segment
        .split(';', 1)[0]
        ?.replace(/^[.\s\p{Cc}]*\.[.\s\p{Cc}]*$/u, (s) => (s.trim() === '.' ? '.' : '..')),
    )
    .join('/')
  return new URL(cleaned.replace(/^\/+/, '/').replace(/[?#]/g, '_'), 'http://oracle.test').pathname
}

/** True when a provider target stays inside function `segment` however a server resolves it. */
export function staysInside(target: string, segment: string): boolean {
  const scope = `/function/${segment}`
  const inScope = (path: string) => path === scope || path.startsWith(`${scope}/`)
  return inScope(target.split('?', 1)[0] ?? '') && inScope(resolvedByAnyServer(target))
}

/**
 * The replica sync's calls, which traffic sets going: the provider's
 * namespaces, and the functions of each.
 */
export const isReplicaSync = (target: string): boolean =>
  target === '/system/namespaces' || /^\/system\/functions\?namespace=[a-z0-9-]+$/.test(target)

/**
 * A status read the gateway makes for its own sake: before a function's first
 * invocation, and in the background once an isolate's entry is older than
 * REPLICA_CACHE_TTL, so it may land while a later, unrelated request is in
 * flight. It only reads, and carries nothing of any caller's.
 */
export const isStatusLookup = (reached: Pick<Received, 'method' | 'target'>): boolean =>
  reached.method === 'GET' && /^\/system\/function\/[a-z0-9-]+\?namespace=[a-z0-9-]+$/.test(reached.target)

/**
 * The gateway's own calls for an invoked function: its status before the
 * first invocation, and the scale request that wakes it from zero.
 */
export function isOwnLookup(target: string, segment: string): boolean {
  const dot = segment.lastIndexOf('.')
  const name = dot === -1 ? segment : segment.slice(0, dot)
  const namespace = dot === -1 ? 'openfaas-fn' : segment.slice(dot + 1)
  return (
    target === `/system/function/${name}?namespace=${namespace}` ||
    target === `/system/scale-function/${name}`
  )
}
