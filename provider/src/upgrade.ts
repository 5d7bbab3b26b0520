import { type IncomingMessage, STATUS_CODES } from 'node:http'
import { connect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { HTTPException } from 'hono/http-exception'
import type { DeployedFunction, Functions } from './functions.ts'
import type { Logs } from './logs.ts'
import type { Replica } from './replicas.ts'
import { functionOf, splitInvocation } from './target.ts'

// WebSockets. Hono cannot take over a connection, so the provider's Node server hands WebSocket upgrades
// here. On /function/{name}[.{namespace}][/{rest}] of an HTTP-mode function the connection is tunnelled,
// bytes both ways, to one of its servers, which answers the handshake itself; the replica's slot is held
// until either side closes. Every refusal is a plain HTTP/1.1 response naming the problem, as the API's.

export type Upgrades = ReturnType<typeof createUpgrades>

export function createUpgrades(deps: { defaultNamespace: string; functions: Functions; logs: Logs }) {
  // Every connection taken over, and every tunnel to a server, so that shutdown can cut them all.
  const sockets = new Set<Duplex>()
  const tunnels = new Set<Socket>()

  function handle(req: IncomingMessage, socket: Duplex, head: Buffer) {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    const invocation = splitInvocation(req.url ?? '/')
    if (invocation === undefined) {
      refuse(socket, 404, `not found: ${req.url}: WebSocket upgrades are taken on /function/{name} only`)
      return
    }
    let fn: DeployedFunction
    try {
      const { name, namespace } = functionOf(invocation.target, deps.defaultNamespace)
      fn = deps.functions.get(namespace, name)
    } catch (error) {
      refuseWith(socket, error)
      return
    }
    if (fn.settings.mode !== 'http') {
      refuse(socket, 400, classicMessage(fn))
      return
    }
    const left = new AbortController()
    socket.once('close', () => left.abort())
    fn.replicas.acquire(left.signal).then(
      (replica) => tunnel(fn, replica, req, socket, head, invocation.rest),
      (error: unknown) => {
        // A client that left while queued is not answered.
        if (!left.signal.aborted) refuseWith(socket, error)
      },
    )
  }

  function tunnel(
    fn: DeployedFunction,
    replica: Replica,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    path: string,
  ) {
    const log = (text: string) => deps.logs.append(fn.namespace, fn.spec.name, replica.name, text)
    const server = replica.server
    let released = false
    const release = () => {
      if (released) return
      released = true
      fn.replicas.release(replica)
    }
    if (socket.destroyed || server === undefined) {
      release()
      // An update switched the function to classic mode while this request waited.
      if (server === undefined) refuse(socket, 400, classicMessage(fn))
      return
    }
    fn.invocationCount++
    const opened = Date.now()
    const upstream = connect({ host: server.host, port: server.port })
    tunnels.add(upstream)
    upstream.setNoDelay(true)
    let connected = false
    upstream.once('connect', () => {
      connected = true
      log(`${req.headers.upgrade ?? 'Upgrade'} ${path}: connected`)
      upstream.write(requestHead(req, path))
      if (head.length > 0) upstream.write(head)
      socket.pipe(upstream)
      upstream.pipe(socket)
    })
    upstream.on('error', (error) => {
      if (connected) return
      const message = `function ${fullName(fn)}: cannot reach replica ${replica.name}: ${error.message}`
      log(message)
      refuse(socket, 502, message)
    })
    // Either side closing ends the other; an error cuts it.
    upstream.once('close', (hadError) => {
      tunnels.delete(upstream)
      if (connected) {
        log(
          `${req.headers.upgrade ?? 'Upgrade'} ${path}: closed after ${((Date.now() - opened) / 1000).toFixed(3)}s`,
        )
        if (hadError) socket.destroy()
        else socket.end()
      }
      release()
    })
    socket.once('close', () => {
      upstream.destroySoon()
      release()
    })
  }

  return {
    handle,
    // Open tunnels to function servers.
    count: () => tunnels.size,
    closeAll() {
      for (const socket of [...sockets, ...tunnels]) socket.destroy()
    },
  }
}

const fullName = (fn: DeployedFunction) => `${fn.spec.name}.${fn.namespace}`

const classicMessage = (fn: DeployedFunction) =>
  `function ${fullName(fn)} runs in classic mode (one process per request), which cannot hold a ` +
  'WebSocket: deploy it with envVars mode=http'

// The handshake as the client sent it (Upgrade, Connection and Sec-WebSocket-* included), for the
// function's path.
function requestHead(req: IncomingMessage, path: string): string {
  const lines = [`${req.method} ${path} HTTP/${req.httpVersion}`]
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`)
  return `${lines.join('\r\n')}\r\n\r\n`
}

function refuse(socket: Duplex, status: number, message: string) {
  if (socket.destroyed || socket.writableEnded) return
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(message)}\r\n` +
      'Connection: close\r\n\r\n' +
      message,
  )
}

function refuseWith(socket: Duplex, error: unknown) {
  if (error instanceof HTTPException) refuse(socket, error.status, error.message)
  else refuse(socket, 500, `internal error: ${(error as Error).message}`)
}
