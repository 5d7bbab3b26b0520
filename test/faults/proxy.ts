import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

// An HTTP proxy on loopback between the gateway and a real provider, which
// counts what reaches the provider and can play its outages: gone (refused
// connections), hung (requests accepted, never answered), and back again on
// the same port, possibly in front of a restarted provider.

export type Passed = { method: string; target: string }

export type FaultProxy = {
  url: string
  /** Requests passed on to the provider, in order. */
  passed: Passed[]
  /** How many passed requests match `METHOD target`. */
  count(match: RegExp): number
  /** Stops listening and drops every open connection: the provider is gone. */
  down(): Promise<void>
  /** Listens again on the same port, in front of `target` if given (a restarted provider). */
  up(target?: string): Promise<void>
  /** Requests matching `METHOD target` are accepted and never answered until `unhold()` or `down()`. */
  hold(match: RegExp): void
  /** How many requests are held now. */
  held(): number
  /** Drops every held request's connection (the provider never saw them) and holds no more. */
  unhold(): void
  close(): Promise<void>
}

export async function faultProxy(target: string): Promise<FaultProxy> {
  let upstream = new URL(target)
  const passed: Passed[] = []
  const sockets = new Set<Socket>()
  let holding: RegExp | undefined
  const held: ServerResponse[] = []

  const pass = (req: IncomingMessage, res: ServerResponse) => {
    const call = `${req.method} ${req.url}`
    if (holding?.test(call)) {
      req.resume()
      held.push(res)
      return
    }
    passed.push({ method: req.method ?? '', target: req.url ?? '' })
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
        answer.on('error', () => res.destroy())
      },
    )
    // The provider vanished under this request: so does the connection the gateway holds.
    out.on('error', () => res.socket?.destroy())
    req.pipe(out)
  }

  const server = createServer(pass)
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const down = async () => {
    if (!server.listening) return
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of sockets) socket.destroy()
    held.length = 0
    await closed
  }

  return {
    url: `http://127.0.0.1:${port}`,
    passed,
    count: (match) => passed.filter((p) => match.test(`${p.method} ${p.target}`)).length,
    down,
    async up(next) {
      if (next) upstream = new URL(next)
      if (server.listening) return
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    },
    hold(match) {
      holding = match
    },
    held: () => held.length,
    unhold() {
      holding = undefined
      for (const res of held.splice(0)) res.socket?.destroy()
    },
    close: down,
  }
}
