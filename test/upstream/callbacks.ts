import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Callback } from './callback-record.ts'

/**
 * Callback receivers for the asynchronous-call tests: real HTTP servers on
 * loopback. The main one records every callback under the id in its path
 * (`/cb/{id}`) and can refuse the first few (`?fail=N&status=S&retryAfter=R`).
 * Extra listeners can be opened, closed (connection refused) and reopened on
 * the same port, as a receiver that is down for a while. Each callback is
 * checked with the verification snippet from the README, exactly as printed.
 */

type Verify = (key: string, headers: IncomingHttpHeaders, body: Buffer) => boolean

/** The README's verification snippet, loaded as the module a reader would paste. */
async function readmeVerifier(): Promise<Verify> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const snippet = /<!-- snippet: verify-callback -->\s*```js\n([\s\S]*?)```/.exec(readme)?.[1]
  if (!snippet) throw new Error('README.md has no verify-callback snippet')
  const module = (await import(`data:text/javascript,${encodeURIComponent(snippet)}`)) as {
    verifyCallback: Verify
  }
  return module.verifyCallback
}

export async function startCallbacks(signingKey: string): Promise<{ url: string; close(): Promise<void> }> {
  const verify = await readmeVerifier()
  const records = new Map<string, Callback[]>()
  const attempts = new Map<string, number>()
  const listeners = new Map<number, Server>()

  async function receive(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk)
    const body = Buffer.concat(chunks)
    const id = url.pathname.slice('/cb/'.length)
    const attempt = (attempts.get(id) ?? 0) + 1
    attempts.set(id, attempt)
    const fail = Number(url.searchParams.get('fail') ?? '0')
    if (attempt <= fail) {
      const retryAfter = url.searchParams.get('retryAfter')
      res.writeHead(
        Number(url.searchParams.get('status') ?? '503'),
        retryAfter ? { 'retry-after': retryAfter } : {},
      )
      res.end('not now')
      return
    }
    const list = records.get(id) ?? []
    list.push({
      method: req.method ?? '',
      headers: req.headers,
      bytes: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
      text: body.subarray(0, 64 * 1024).toString('utf8'),
      verified: verify(signingKey, req.headers, body),
      tamperedVerified: verify(signingKey, req.headers, Buffer.concat([body, Buffer.from('!')])),
      at: Date.now(),
    })
    records.set(id, list)
    res.writeHead(204)
    res.end()
  }

  function json(res: ServerResponse, status: number, value: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(value))
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://callbacks')
    if (url.pathname.startsWith('/cb/')) return receive(req, res, url)
    if (url.pathname === '/__control/callbacks') {
      const id = url.searchParams.get('id') ?? ''
      return json(res, 200, { callbacks: records.get(id) ?? [], attempts: attempts.get(id) ?? 0 })
    }
    if (url.pathname === '/__control/listener' && req.method === 'POST') {
      const server = await listen(0)
      const { port } = server.address() as AddressInfo
      listeners.set(port, server)
      return json(res, 201, { url: `http://127.0.0.1:${port}` })
    }
    const port = Number(url.searchParams.get('port'))
    if (url.pathname === '/__control/listener/close') {
      const server = listeners.get(port)
      if (server) await closeServer(server)
      return json(res, server ? 200 : 404, { closed: Boolean(server) })
    }
    if (url.pathname === '/__control/listener/open') {
      listeners.set(port, await listen(port))
      return json(res, 200, { opened: true })
    }
    json(res, 404, { error: `no route ${req.method} ${url.pathname}` })
  }

  function listen(port: number): Promise<Server> {
    const server = createServer((req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) json(res, 500, { error: String(error) })
        else res.destroy()
      })
    })
    return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)))
  }

  const main = await listen(0)
  const { port } = main.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await Promise.all([main, ...listeners.values()].map(closeServer))
    },
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
    if (!server.listening) resolve()
  })
}
