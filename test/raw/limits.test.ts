import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RawGateway, rawRequest, requestText, since, startRawGateway } from './harness'
import { HEAD_LIMIT, MANAGEMENT_BODY_LIMIT, PASSWORD, URL_LIMIT, USER, VALID_AUTHORIZATION } from './requests'

// Size limits, on the production bundle in workerd, by raw bytes: a head past
// workerd's ~1 MiB is 431 and a URL past 64 KiB is 414, both answered by
// workerd before the gateway runs; a management body past 1 MiB is 413 and one
// that breaks off is 400, each refused whole, so the provider gets nothing of
// it. The property in requests.property.test.ts sends such requests at random;
// here each is sent so that its answer is read before any unread bytes could
// reset the connection under it.

let gw: RawGateway
beforeAll(async () => {
  gw = await startRawGateway({ BASIC_AUTH: 'true', BASIC_AUTH_USER: USER, BASIC_AUTH_PASSWORD: PASSWORD })
})
afterAll(() => gw?.close())

const AUTH = `Authorization: ${VALID_AUTHORIZATION}`

/**
 * Sends a head, then `body` in 64 KiB pieces (each after the last has been
 * taken), stopping as soon as an answer arrives; resolves with its status
 * line. A server that answers before reading a body is heard this way.
 */
function answerWhileSending(head: string, body: Buffer = Buffer.alloc(0)): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = ''
    const socket = connect(gw.port, '127.0.0.1')
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no answer within 20 s to ${head.split('\r\n', 1)[0]?.slice(0, 100)}`))
    }, 20_000)
    const done = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(answer.split('\r\n', 1)[0] ?? '')
    }
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1')
      if (answer.includes('\r\n\r\n')) done()
    })
    socket.on('close', () => (answer ? done() : reject(new Error('closed without an answer'))))
    socket.on('error', () => {})
    socket.on('connect', async () => {
      socket.write(head)
      for (let at = 0; at < body.length && !answer; at += 65_536) {
        if (!socket.write(body.subarray(at, at + 65_536))) await new Promise((r) => socket.once('drain', r))
      }
    })
  })
}

async function nothingReached<T>(send: () => Promise<T>): Promise<T> {
  const mark = gw.upstream.received.length
  const result = await send()
  // Anything forwarded would have arrived by the time the answer did; a moment more for stragglers.
  await new Promise((resolve) => setTimeout(resolve, 50))
  expect(since(gw.upstream, mark).map((r) => `${r.method} ${r.target.slice(0, 80)}`)).toEqual([])
  return result
}

describe('workerd limits, before the gateway runs', () => {
  it.each([
    ['one header', `X-Big: ${'b'.repeat(HEAD_LIMIT + 1_000)}`],
    ['many headers', Array.from({ length: 12_000 }, (_, i) => `X-H${i}: ${'v'.repeat(90)}`).join('\r\n')],
  ])('a head past 1 MiB (%s) is 431, and reaches nothing', async (_, headers) => {
    for (const target of ['/function/fn', '/system/functions']) {
      const status = await nothingReached(() =>
        answerWhileSending(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}\r\n${headers}\r\n\r\n`),
      )
      expect(status).toBe('HTTP/1.1 431 Request Header Fields Too Large')
    }
  })

  it('a request target past 64 KiB is 414, and reaches nothing', async () => {
    for (const target of [
      `/function/fn/${'a'.repeat(URL_LIMIT)}`,
      `/system/functions?x=${'a'.repeat(URL_LIMIT)}`,
    ]) {
      const status = await nothingReached(() =>
        answerWhileSending(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}\r\n\r\n`),
      )
      expect(status).toBe('HTTP/1.1 414 URI Too Long')
    }
  })

  it('CONNECT is refused by workerd itself (its own 500, not the gateway): nothing reaches the Worker or the provider', async () => {
    const response = await nothingReached(() => rawRequest(gw.port, requestText('CONNECT', '/function/fn')))
    expect(response.status).toBe(500)
    // The gateway's 500s say "internal gateway error" and carry its content type; workerd's carries neither.
    expect(response.body).not.toContain('gateway')
    expect(response.head).not.toMatch(/content-type/i)
  })
})

const MUTATIONS: [string, string][] = [
  ['POST', '/system/functions'],
  ['PUT', '/system/functions'],
  ['DELETE', '/system/functions'],
  ['POST', '/system/scale-function/fn'],
  ['POST', '/system/secrets'],
  ['PUT', '/system/secrets'],
  ['DELETE', '/system/secrets'],
  ['POST', '/system/namespace/staging'],
  ['PUT', '/system/namespace/staging'],
  ['POST', '/system/alert'],
]

/** A secret whose value is long, exactly `bytes` long in all. */
const longSecret = (bytes: number) =>
  Buffer.from(`{"name":"big","value":"${'s'.repeat(bytes - 25)}"}`, 'utf8')

describe('management bodies, refused whole', () => {
  it.each(MUTATIONS)(
    '%s %s: past 1 MiB by Content-Length is 413 before the body is read',
    async (method, path) => {
      const body = longSecret(MANAGEMENT_BODY_LIMIT + 1)
      const head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}\r\nContent-Length: ${body.length}\r\n\r\n`
      // Nothing of the body is sent: the answer must come from the length alone.
      expect(await nothingReached(() => answerWhileSending(head))).toBe('HTTP/1.1 413 Payload Too Large')
    },
  )

  it.each(MUTATIONS)('%s %s: past 1 MiB in chunks is 413 once the limit is crossed', async (method, path) => {
    const body = longSecret(MANAGEMENT_BODY_LIMIT + 200_000)
    const chunks = Buffer.concat(
      Array.from({ length: Math.ceil(body.length / 65_536) }, (_, i) => {
        const piece = body.subarray(i * 65_536, (i + 1) * 65_536)
        return Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
      }).concat([Buffer.from('0\r\n\r\n')]),
    )
    const head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}\r\nTransfer-Encoding: chunked\r\n\r\n`
    expect(await nothingReached(() => answerWhileSending(head, chunks))).toBe(
      'HTTP/1.1 413 Payload Too Large',
    )
  })

  it.each([
    ['a Content-Length it does not reach', 'Content-Length: 100\r\n\r\n{"service":"fn","image":"x"'],
    ['a chunk cut short', 'Transfer-Encoding: chunked\r\n\r\n40\r\n{"service":"fn","image":"x"'],
    ['a chunk size that is not hex', 'Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'],
  ])('a deployment with %s is 400, never 500, and nothing is deployed', async (_, rest) => {
    const response = await nothingReached(() =>
      rawRequest(gw.port, `POST /system/functions HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}\r\n${rest}`),
    )
    expect(response.status).toBe(400)
    expect(response.body).toBe('the request body ended before it was complete\n')
  })

  it('just under the limit, a body is forwarded whole, byte for byte', async () => {
    const body = longSecret(MANAGEMENT_BODY_LIMIT)
    const mark = gw.upstream.received.length
    const response = await rawRequest(
      gw.port,
      Buffer.concat([
        Buffer.from(
          `POST /system/secrets HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${AUTH}\r\nContent-Length: ${body.length}\r\n\r\n`,
        ),
        body,
      ]),
    )
    expect(response.status).toBe(200)
    const reached = since(gw.upstream, mark).filter((r) => r.target === '/system/secrets')
    expect(reached).toHaveLength(1)
    expect(reached[0]?.body.equals(body)).toBe(true)
  })
})
