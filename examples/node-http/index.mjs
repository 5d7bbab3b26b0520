// An HTTP-mode function (of-watchdog's `mode=http`): a long-running server on $PORT that the provider
// keeps warm between calls. Plain Node, no dependencies, so the dev provider runs it as it is:
//   POST /upload      reads a streamed body to the end and answers its size and SHA-256
//   GET /sse          server-sent events: ?count= events (default 5), ?interval= ms apart (default 100)
//   GET /slow         answers after ?ms= milliseconds
//   GET /ready        200 once the function is ready (after $READY_DELAY_MS), 503 before
//   GET /crash        exits the process without answering
//   GET /env          the process's environment as JSON (PORT, upstream_url, the function's envVars…)
//   GET /secrets/NAME the secret NAME, read from $secret_mount_path or /var/openfaas/secrets; 404 if absent
//   any other path    echoes the body with its Content-Type; X-Served-By names the process and
//                     X-Request-Url the path and query it was asked for
//   Upgrade: websocket on any path: echoes every message, text as text and binary as binary
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'

const port = Number(process.env.PORT ?? 5000)
const readyAt = Date.now() + Number(process.env.READY_DELAY_MS ?? 0)
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://function')
  console.error(`${req.method} ${url.pathname}`)
  if (url.pathname === '/ready') {
    res.writeHead(Date.now() >= readyAt ? 200 : 503).end()
    return
  }
  if (url.pathname === '/crash') process.exit(3)
  if (url.pathname === '/env') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(process.env))
    return
  }
  if (url.pathname.startsWith('/secrets/')) {
    const dir = process.env.secret_mount_path ?? '/var/openfaas/secrets'
    const name = url.pathname.slice('/secrets/'.length)
    const value = name.includes('/') ? undefined : await readFile(join(dir, name)).catch(() => undefined)
    if (value === undefined) res.writeHead(404, { 'content-type': 'text/plain' }).end(`no secret ${name}\n`)
    else res.writeHead(200, { 'content-type': 'text/plain' }).end(value)
    return
  }
  if (url.pathname === '/slow') {
    await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get('ms') ?? 1000)))
    res.writeHead(200, { 'content-type': 'text/plain' }).end('slow')
    return
  }
  if (url.pathname === '/sse') {
    const count = Number(url.searchParams.get('count') ?? 5)
    const interval = Number(url.searchParams.get('interval') ?? 100)
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    for (let i = 1; i <= count && !res.destroyed; i++) {
      res.write(`id: ${i}\ndata: event ${i}\n\n`)
      if (i < count) await new Promise((resolve) => setTimeout(resolve, interval))
    }
    res.end()
    return
  }
  if (url.pathname === '/upload') {
    const hash = createHash('sha256')
    let bytes = 0
    for await (const chunk of req) {
      hash.update(chunk)
      bytes += chunk.length
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') }))
    return
  }
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  res.writeHead(200, {
    'content-type': req.headers['content-type'] ?? 'text/plain',
    'x-served-by': String(process.pid),
    'x-request-url': req.url,
  })
  res.end(Buffer.concat(chunks))
})

// WebSocket (RFC 6455), server side: the handshake, then frames. Messages may be fragmented; control
// frames are answered (ping with pong, close with close).
server.on('upgrade', (req, socket, head) => {
  const key = req.headers['sec-websocket-key']
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string') {
    socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\n\r\nnot a WebSocket upgrade\n')
    return
  }
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64')
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  )
  console.error(`websocket ${req.url}`)
  let buffer = head.length > 0 ? Buffer.from(head) : Buffer.alloc(0)
  let message = []
  let messageOpcode = 0
  const send = (opcode, payload) => {
    const length = payload.length
    const header =
      length < 126
        ? Buffer.from([0x80 | opcode, length])
        : length < 65536
          ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff])
          : Buffer.concat([Buffer.from([0x80 | opcode, 127]), bigLength(length)])
    socket.write(Buffer.concat([header, payload]))
  }
  socket.on('data', (chunk) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk])
    for (;;) {
      if (buffer.length < 2) return
      const fin = (buffer[0] & 0x80) !== 0
      const opcode = buffer[0] & 0x0f
      const masked = (buffer[1] & 0x80) !== 0
      let length = buffer[1] & 0x7f
      let offset = 2
      if (length === 126) {
        if (buffer.length < 4) return
        length = buffer.readUInt16BE(2)
        offset = 4
      } else if (length === 127) {
        if (buffer.length < 10) return
        length = Number(buffer.readBigUInt64BE(2))
        offset = 10
      }
      const maskAt = offset
      if (masked) offset += 4
      if (buffer.length < offset + length) return
      const payload = Buffer.from(buffer.subarray(offset, offset + length))
      if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= buffer[maskAt + (i % 4)]
      buffer = buffer.subarray(offset + length)
      if (opcode === 0x8) {
        send(0x8, payload.subarray(0, 2))
        socket.end()
        return
      }
      if (opcode === 0x9) send(0xa, payload)
      else if (opcode === 0x1 || opcode === 0x2 || opcode === 0x0) {
        if (opcode !== 0x0) messageOpcode = opcode
        message.push(payload)
        if (fin) {
          send(messageOpcode, Buffer.concat(message))
          message = []
        }
      }
    }
  })
  socket.on('error', () => socket.destroy())
})

function bigLength(length) {
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64BE(BigInt(length))
  return bytes
}

// SIGTERM (a scale-down or a delete): stop taking connections, let calls in flight finish, then exit.
process.on('SIGTERM', () => {
  console.error('SIGTERM: finishing calls in flight')
  server.close(() => process.exit(0))
  server.closeIdleConnections()
})

server.listen(port, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port}`))
