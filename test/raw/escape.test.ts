import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ESCAPES } from './cases'
import {
  type RawGateway,
  type Received,
  rawRequest,
  requestText,
  since,
  startRawGateway,
  staysInside,
  upgradeText,
} from './harness'

// Every way out of /function/ found against the production bundle, sent as raw
// bytes to workerd, with basic auth on and no credentials: each must be
// refused, and nothing may reach the provider outside the function's own path.

const AUTH = { BASIC_AUTH: 'true', BASIC_AUTH_USER: 'admin', BASIC_AUTH_PASSWORD: 'pw' }
const DEPLOY = '{"service":"pwn","image":"x","envProcess":"id"}'

let gw: RawGateway
beforeAll(async () => {
  gw = await startRawGateway(AUTH)
})
afterAll(() => gw?.close())

/** What reached the provider's function routes, leaving out the gateway's own status lookups. */
const invocations = (reached: Received[]) =>
  reached.filter((r) => r.target.startsWith('/function/')).map((r) => r.target)

async function send(text: string) {
  const mark = gw.upstream.received.length
  const response = await rawRequest(gw.port, text)
  return { response, reached: since(gw.upstream, mark) }
}

describe('path escapes from an invocation', () => {
  it.each(ESCAPES)('GET %s is refused and reaches nothing outside the function', async (target) => {
    const { response, reached } = await send(requestText('GET', target))
    expect([400, 401]).toContain(response.status)
    for (const r of reached) expect(staysInside(r.target, 'x'), r.target).toBe(true)
    expect(reached).toEqual([])
  })

  it.each(ESCAPES)(
    'GET %s with Upgrade: websocket is refused and reaches nothing outside the function',
    async (target) => {
      const { response, reached } = await send(upgradeText(target))
      expect([400, 401]).toContain(response.status)
      expect(reached).toEqual([])
    },
  )

  it('opens a WebSocket only inside the function it names, exactly as sent', async () => {
    for (const target of ['/function/x/chat', '/function/x.openfaas-fn/a%2Fb?room=1']) {
      const { response, reached } = await send(upgradeText(target))
      // The recording upstream refuses every handshake; the gateway says so, having asked only the function.
      expect(response.status, target).toBe(400)
      expect(invocations(reached)).toEqual([target])
      expect(reached.find((r) => r.target === target)?.headers.upgrade).toBe('websocket')
    }
  })

  it('reaches nothing through /async-function/ either', async () => {
    const { response, reached } = await send(
      requestText('POST', '/async-function/x/a%2Fb/../../../system/secrets'),
    )
    // 404 while asynchronous invocations have no route; the same path rule applies once they do.
    expect([400, 401, 404]).toContain(response.status)
    expect(reached).toEqual([])
  })

  it.each(['PUT', 'POST', 'DELETE', 'PATCH'])('%s with a deployment body is refused', async (method) => {
    const target = '/function/x/a%2Fb/../../../system/functions'
    const { response, reached } = await send(requestText(method, target, { body: DEPLOY }))
    expect(response.status).toBe(400)
    expect(response.body).toContain('dot segment')
    expect(reached).toEqual([])
  })

  it('says what was wrong', async () => {
    const { response } = await send(requestText('GET', '/function/x/a%2Fb/../../../system/secrets'))
    expect(response.status).toBe(400)
    expect(response.body).toMatch(
      /^refused \/function\/x\/a%2Fb\/\.\.\/\.\.\/\.\.\/system\/secrets: .*dot segment/,
    )
  })

  it('still forwards paths that only look unusual, exactly as sent', async () => {
    for (const target of [
      '/function/x/a%2Fb',
      '/function/x/.well-known/thing',
      '/function/x/file.tar.gz?y=..',
      '/function/x/a..b/c.',
      '/function/x.openfaas-fn/deep/er',
    ]) {
      const { response, reached } = await send(requestText('GET', target))
      expect(response.status, target).toBe(200)
      expect(invocations(reached)).toEqual([target])
    }
  })
})

describe('a Host header that is not a host', () => {
  it.each([
    '127.0.0.1/function/x/a%2Fb/../../..',
    '127.0.0.1/function/x',
    '127.0.0.1?x',
    '127.0.0.1#x',
    'admin@127.0.0.1',
    '127.0.0.1 x',
    '127.0.0.1\\function\\x',
  ])('Host: %s → 400, nothing forwarded', async (host) => {
    const { response, reached } = await send(requestText('GET', '/system/secrets', { host }))
    expect(response.status).toBe(400)
    expect(reached).toEqual([])
  })

  it('accepts hosts with ports and IPv6 literals', async () => {
    for (const host of ['gateway.example:8080', '[::1]:8080', 'localhost']) {
      const { response } = await send(requestText('GET', '/function/x', { host }))
      expect(response.status, host).toBe(200)
    }
  })
})

describe('regressions from the same probe', () => {
  it.each([
    ['GET', '/function/x'],
    ['HEAD', '/function/x'],
    ['GET', '/healthz'],
    ['GET', '/system/functions'],
  ])('%s %s with a body → 400, never 502', async (method, target) => {
    const { response, reached } = await send(
      requestText(method, target, {
        body: 'payload',
        headers: [`Authorization: Basic ${btoa('admin:pw')}`],
      }),
    )
    expect(response.status).toBe(400)
    if (method !== 'HEAD') expect(response.body).toBe(`a ${method} request must not have a body\n`)
    expect(reached).toEqual([])
  })

  it.each(['/function/x/%ff', '/function/x/100%', '/function/x/a%25zz', '/function/x/%'])(
    '%s is an invocation: forwarded as sent, never 401',
    async (target) => {
      const { response, reached } = await send(requestText('GET', target))
      expect(response.status).toBe(200)
      expect(invocations(reached)).toEqual([target])
    },
  )

  it('health checks carry no query or caller headers to the provider', async () => {
    const { response, reached } = await send(
      requestText('GET', '/healthz?x=1&namespace=y', { headers: ['X-Secret: caller', 'Cookie: a=b'] }),
    )
    expect(response.status).toBe(200)
    expect(reached).toHaveLength(1)
    expect(reached[0]?.target).toBe('/healthz')
    expect(reached[0]?.headers['x-secret']).toBeUndefined()
    expect(reached[0]?.headers.cookie).toBeUndefined()
    expect(reached[0]?.headers.authorization).toBe(`Basic ${btoa('admin:pw')}`)
  })

  it('appends the client address to X-Forwarded-For', async () => {
    const { reached } = await send(
      requestText('GET', '/function/x', {
        headers: ['X-Forwarded-For: 10.0.0.1', 'CF-Connecting-IP: 203.0.113.7'],
      }),
    )
    expect(reached.find((r) => r.target === '/function/x')?.headers['x-forwarded-for']).toBe(
      '10.0.0.1, 203.0.113.7',
    )
  })

  it('validates every namespace parameter and forwards only validated ones', async () => {
    const auth = `Authorization: Basic ${btoa('admin:pw')}`
    const twice = await send(
      requestText('GET', '/system/functions?namespace=a&namespace=../b', { headers: [auth] }),
    )
    expect(twice.response.status).toBe(400)
    expect(twice.response.body).toContain('namespace is given 2 times')
    expect(twice.reached).toEqual([])

    const extra = await send(
      requestText('GET', '/system/functions?namespace=a&name=../x&z=1', { headers: [auth] }),
    )
    expect(extra.response.status).toBe(200)
    expect(extra.reached.map((r) => r.target)).toEqual(['/system/functions?namespace=a'])
  })
})

describe('secret values reach the provider byte for byte', () => {
  const auth = `Authorization: Basic ${btoa('admin:pw')}`
  const post = (body: Buffer) =>
    Buffer.concat([
      Buffer.from(
        `POST /system/secrets HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${auth}\r\n` +
          `Content-Length: ${body.length}\r\n\r\n`,
        'latin1',
      ),
      body,
    ])

  it('forwards a value holding a byte order mark unchanged', async () => {
    const body = Buffer.concat([
      Buffer.from('{"name":"bom","value":"', 'utf8'),
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('v"}', 'utf8'),
    ])
    const mark = gw.upstream.received.length
    const response = await rawRequest(gw.port, post(body))
    expect(response.status).toBe(200)
    expect(since(gw.upstream, mark)[0]?.body.equals(body)).toBe(true)
  })

  it.each([
    [
      'invalid UTF-8 in the value',
      Buffer.from('{"name":"bad","value":"\xff\xfe"}', 'latin1'),
      'not valid UTF-8',
    ],
    [
      'a byte order mark before the JSON',
      Buffer.from('\ufeff{"name":"bom","value":"v"}', 'utf8'),
      'byte order mark',
    ],
  ])('refuses %s with 400', async (_, body, message) => {
    const mark = gw.upstream.received.length
    const response = await rawRequest(gw.port, post(body))
    expect(response.status).toBe(400)
    expect(response.body).toContain(message)
    expect(since(gw.upstream, mark)).toEqual([])
  })
})

describe('credentials outside Latin-1', () => {
  let utf8: RawGateway
  beforeAll(async () => {
    utf8 = await startRawGateway({
      BASIC_AUTH: 'true',
      BASIC_AUTH_USER: 'ädmin',
      BASIC_AUTH_PASSWORD: 'p€ss',
    })
  })
  afterAll(() => utf8?.close())

  const header = `Basic ${Buffer.from('ädmin:p€ss', 'utf8').toString('base64')}`

  it('serve /healthz and management calls, with UTF-8 credentials sent on to the provider', async () => {
    const health = await rawRequest(utf8.port, requestText('GET', '/healthz'))
    expect(health.status).toBe(200)
    const mark = utf8.upstream.received.length
    const list = await rawRequest(
      utf8.port,
      requestText('GET', '/system/functions', { headers: [`Authorization: ${header}`] }),
    )
    expect(list.status).toBe(200)
    expect(since(utf8.upstream, mark)[0]?.headers.authorization).toBe(header)
    const wrong = await rawRequest(
      utf8.port,
      requestText('GET', '/system/functions', { headers: [`Authorization: Basic ${btoa('admin:pass')}`] }),
    )
    expect(wrong.status).toBe(401)
  })
})
