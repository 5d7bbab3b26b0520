import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

// A provider whose answers a test scripts route by route: hang, reset the
// connection half-way, or send garbage, then behave again. Unscripted routes
// answer as a healthy provider with one ready function would.

export type Behaviour = (req: IncomingMessage, res: ServerResponse) => void

export type ScriptedProvider = {
  url: string
  /** Every request as it arrived: method and target. */
  received: { method: string; target: string }[]
  /** Requests since `mark` (an index into `received`) whose target matches. */
  since(mark: number, target?: RegExp): { method: string; target: string }[]
  /** From now on, requests whose `METHOD target` matches get `act`; the latest matching rule wins. */
  when(match: RegExp, act: Behaviour): void
  /** Forgets every rule: the provider is healthy again. */
  heal(): void
  close(): Promise<void>
}

/** The one function every healthy answer knows of. */
export const FUNCTION = 'fn'

export const status = (name: string, namespace = 'openfaas-fn', available = 1) => ({
  name,
  namespace,
  image: 'functions/fn:latest',
  replicas: Math.max(1, available),
  availableReplicas: available,
})

function sendJson(res: ServerResponse, code: number, value: unknown): void {
  const text = JSON.stringify(value)
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** A provider that works: what every test returns to after its fault. */
const healthy: Behaviour = (req, res) => {
  const url = new URL(req.url ?? '/', 'http://provider')
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => {
    const one = /^\/system\/function\/([^/]+)$/.exec(url.pathname)
    if (one) return sendJson(res, 200, status(one[1] ?? '', url.searchParams.get('namespace') ?? undefined))
    if (url.pathname === '/system/functions' && req.method === 'GET') {
      return sendJson(res, 200, [status(FUNCTION, url.searchParams.get('namespace') ?? undefined)])
    }
    if (url.pathname === '/system/namespaces') return sendJson(res, 200, ['openfaas-fn'])
    if (url.pathname === '/system/info') {
      return sendJson(res, 200, { provider: 'scripted', orchestration: 'test', version: { sha: 'x' } })
    }
    res.writeHead(url.pathname.startsWith('/system/') ? 202 : 200, { 'content-type': 'text/plain' })
    res.end(url.pathname.startsWith('/function/') ? Buffer.concat(chunks) : 'OK')
  })
}

/** Accepts the request and never answers: a provider that hangs. */
export const hang: Behaviour = (req) => {
  req.resume()
}

/** A complete HTTP answer whose body is `text`, JSON or not. */
export const answer =
  (text: string, code = 200): Behaviour =>
  (req, res) => {
    req.resume()
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    res.end(text)
  }

/**
 * Promises `declared` bytes, sends `sent` bytes of them, then resets the
 * connection. With `declared` undefined the body is chunked and the stream
 * is cut before its last chunk.
 */
export const resetMidBody =
  (sent: string, declared?: number): Behaviour =>
  (req, res) => {
    req.resume()
    const headers: Record<string, string | number> = { 'content-type': 'text/plain' }
    if (declared !== undefined) headers['content-length'] = declared
    res.writeHead(200, headers)
    res.write(sent)
    // Flushed first, so the caller has the start of the body before the reset.
    setTimeout(() => (res.socket as Socket | null)?.resetAndDestroy(), 100)
  }

export async function scriptedProvider(): Promise<ScriptedProvider> {
  const received: { method: string; target: string }[] = []
  let rules: { match: RegExp; act: Behaviour }[] = []
  const server = createServer((req, res) => {
    const method = req.method ?? ''
    const target = req.url ?? ''
    received.push({ method, target })
    const rule = rules.findLast((r) => r.match.test(`${method} ${target}`))
    ;(rule?.act ?? healthy)(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    since: (mark, target) => received.slice(mark).filter((r) => !target || target.test(r.target)),
    when(match, act) {
      rules.push({ match, act })
    },
    heal() {
      rules = []
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
