import { type IncomingMessage, request, type ServerResponse, STATUS_CODES } from 'node:http'
import { HOP_BY_HOP as GATEWAY_HOP_BY_HOP } from '../../src/forward/headers.ts'
import type { ReplicaServer } from './servers.ts'

// HTTP mode's invocation: the request goes on to the replica's server as it arrives, and the answer comes
// back as the server writes it, streamed both ways (chunked uploads, server-sent events), over the
// replica's keep-alive connections.

export type ProxyCall = {
  incoming: IncomingMessage
  outgoing: ServerResponse
  server: ReplicaServer
  // What the function is asked for: the path after the function's name and the query.
  path: string
  // 0 means none.
  timeoutMs: number
  // name.namespace and the replica, for messages.
  fullName: string
  replica: string
  log: (text: string) => void
  // Called once, when the call is over either way: the replica's slot is free again.
  done: () => void
}

// The gateway's hop-by-hop headers stop here too, with the legacy Proxy-Connection some clients still send.
const HOP_BY_HOP = new Set([...GATEWAY_HOP_BY_HOP, 'proxy-connection'])

// rawHeaders (name, value, name, value…) without the hop-by-hop ones, and without any that Connection lists.
export function endToEndHeaders(raw: readonly string[]): string[] {
  const listed = new Set<string>()
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() !== 'connection') continue
    for (const token of (raw[i + 1] ?? '').split(',')) listed.add(token.trim().toLowerCase())
  }
  const headers: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? ''
    if (!HOP_BY_HOP.has(name.toLowerCase()) && !listed.has(name.toLowerCase()))
      headers.push(name, raw[i + 1] ?? '')
  }
  return headers
}

export function proxy(call: ProxyCall): void {
  const { incoming, outgoing, server } = call
  const started = process.hrtime.bigint()
  const seconds = () => (Number(process.hrtime.bigint() - started) / 1e9).toFixed(6)
  const headers = endToEndHeaders(incoming.rawHeaders)
  // A body of unknown length goes on as it came, chunk by chunk.
  if (incoming.headers['transfer-encoding'] !== undefined) headers.push('Transfer-Encoding', 'chunked')
  const upstream = request({
    host: server.host,
    port: server.port,
    method: incoming.method,
    path: call.path,
    headers,
    agent: server.agent,
  })

  let over = false
  let timedOut = false
  const finish = () => {
    if (over) return
    over = true
    clearTimeout(timer)
    call.done()
  }
  // Before the function's response head, the client gets a plain-text error; after it, all that can be
  // done is to cut the stream.
  const fail = (status: number, message: string) => {
    call.log(message)
    if (outgoing.headersSent) {
      outgoing.destroy()
      return
    }
    outgoing.writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Duration-Seconds': seconds(),
    })
    outgoing.end(message)
  }
  const timer =
    call.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true
          const limit = call.timeoutMs < 1000 ? `${call.timeoutMs}ms` : `${call.timeoutMs / 1000}s`
          fail(
            504,
            outgoing.headersSent
              ? `exec_timeout of ${limit} exceeded: the response stream was cut`
              : `function ${call.fullName} did not answer within exec_timeout of ${limit}`,
          )
          upstream.destroy()
        }, call.timeoutMs)
      : undefined

  upstream.on('response', (res) => {
    if (timedOut || outgoing.destroyed) {
      res.destroy()
      return
    }
    const status = res.statusCode ?? 502
    const duration = seconds()
    call.log(
      `${incoming.method} ${call.path} - ${status} ${STATUS_CODES[status] ?? ''} - Duration: ${duration}s`,
    )
    outgoing.writeHead(status, res.statusMessage, [
      ...endToEndHeaders(res.rawHeaders),
      'X-Duration-Seconds',
      duration,
    ])
    // The head goes out now, not with the first chunk of the body: a stream may take a while to start.
    outgoing.flushHeaders()
    res.pipe(outgoing)
    // The server went away mid-stream: the client must see the response end short, not hang.
    res.on('close', () => {
      if (!res.complete) outgoing.destroy()
    })
  })
  upstream.on('error', (error) => {
    // After a timeout or with the client gone, nobody is waiting for this answer.
    if (!timedOut && !outgoing.destroyed)
      fail(502, `function ${call.fullName}: replica ${call.replica} did not answer: ${error.message}`)
  })

  // Not pipeline(): an upstream error must not destroy the client's connection before it gets its 502.
  incoming.pipe(upstream)
  outgoing.on('close', () => {
    // The client left (or the call is over): whatever the server still sends has no reader.
    if (!outgoing.writableFinished) upstream.destroy()
    finish()
  })
}
