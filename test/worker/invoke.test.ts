import { describe, expect, it } from 'vitest'
import { gateway, received, tag } from './helpers'

describe('/function/{name}: synchronous invocation', () => {
  it.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])(
    'forwards %s with its body and answers with the function',
    async (method) => {
      const t = tag()
      const body = method === 'GET' || method === 'OPTIONS' ? undefined : `payload for ${method}`
      const res = await gateway('/function/echo', {
        method,
        body,
        headers: { ...t.headers, 'content-type': 'text/x-test' },
      })
      expect(res.status).toBe(200)
      expect(await res.text()).toBe(body ?? '')
      const [req] = await received(t.id)
      expect(req?.method).toBe(method)
      expect(req?.url).toBe('/function/echo')
      expect(req?.headers['content-type']).toBe('text/x-test')
    },
  )

  it('answers HEAD with the function headers and no body', async () => {
    const t = tag()
    const res = await gateway('/function/echo', { method: 'HEAD', headers: t.headers })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
    expect((await received(t.id))[0]?.method).toBe('HEAD')
  })

  it.each([
    ['/function/echo/', '/function/echo/'],
    ['/function/echo/a/b/c', '/function/echo/a/b/c'],
    ['/function/echo/a%20b/%2F?x=1&y=%20&x=2', '/function/echo/a%20b/%2F?x=1&y=%20&x=2'],
    ['/function/echo?', '/function/echo?'],
    ['/function/echo.staging', '/function/echo.staging'],
    ['/function/echo.staging/sub/path?q=1', '/function/echo.staging/sub/path?q=1'],
    ['/function/my-fn2.staging/x', '/function/my-fn2.staging/x'],
  ])('keeps the path and raw query: %s', async (path, expected) => {
    const t = tag()
    const res = await gateway(path, { headers: t.headers })
    expect(res.status).toBe(200)
    expect((await received(t.id))[0]?.url).toBe(expected)
  })

  it('adds X-Call-Id and X-Start-Time to the request and the response', async () => {
    const t = tag()
    const res = await gateway('/function/echo', { headers: t.headers })
    const callId = res.headers.get('x-call-id')
    expect(callId).toMatch(/^[0-9a-f-]{36}$/)
    const startTime = res.headers.get('x-start-time')
    expect(startTime).toMatch(/^\d{19}$/)
    const startMs = Number(BigInt(startTime ?? '0') / 1_000_000n)
    expect(Math.abs(startMs - Date.now())).toBeLessThan(60_000)
    const [req] = await received(t.id)
    expect(req?.headers['x-call-id']).toBe(callId)
    expect(req?.headers['x-start-time']).toBe(startTime)
  })

  it('keeps a call id the caller chose', async () => {
    const t = tag()
    const res = await gateway('/function/echo', {
      headers: { ...t.headers, 'x-call-id': 'caller-chosen-id' },
    })
    expect(res.headers.get('x-call-id')).toBe('caller-chosen-id')
    expect((await received(t.id))[0]?.headers['x-call-id']).toBe('caller-chosen-id')
  })

  it('adds X-Forwarded-Host when absent and appends the client address to X-Forwarded-For', async () => {
    const t = tag()
    await gateway('/function/echo', { headers: { ...t.headers, 'cf-connecting-ip': '203.0.113.9' } })
    const [first] = await received(t.id)
    expect(first?.headers['x-forwarded-host']).toBe('gateway.test')
    expect(first?.headers['x-forwarded-for']).toBe('203.0.113.9')

    const u = tag()
    await gateway('/function/echo', {
      headers: {
        ...u.headers,
        'cf-connecting-ip': '203.0.113.9',
        'x-forwarded-host': 'original.example',
        'x-forwarded-for': '198.51.100.1',
      },
    })
    const [second] = await received(u.id)
    expect(second?.headers['x-forwarded-host']).toBe('original.example')
    expect(second?.headers['x-forwarded-for']).toBe('198.51.100.1, 203.0.113.9')
  })

  it('passes every other request header and drops hop-by-hop ones', async () => {
    const t = tag()
    await gateway('/function/echo', {
      headers: {
        ...t.headers,
        authorization: 'Bearer function-token',
        'x-custom': 'kept',
        connection: 'x-listed-in-connection',
        'x-listed-in-connection': 'dropped',
        'proxy-authorization': 'Basic dropped',
        te: 'trailers',
        upgrade: 'websocket',
      },
    })
    const [req] = await received(t.id)
    expect(req?.headers.authorization).toBe('Bearer function-token')
    expect(req?.headers['x-custom']).toBe('kept')
    expect(req?.headers['x-listed-in-connection']).toBeUndefined()
    expect(req?.headers['proxy-authorization']).toBeUndefined()
    expect(req?.headers.te).toBeUndefined()
    expect(req?.headers.upgrade).toBeUndefined()
  })

  it('returns status, headers and body unchanged, without hop-by-hop headers', async () => {
    const res = await gateway('/function/status?code=418')
    expect(res.status).toBe(418)
    expect(res.headers.get('x-from')).toBe('function')
    expect(await res.text()).toBe('status 418')

    const hop = await gateway('/function/hop')
    expect(hop.headers.get('x-kept')).toBe('passes')
    expect(hop.headers.get('x-dropped')).toBeNull()
    expect(hop.headers.get('keep-alive')).toBeNull()
  })

  it('delivers a compressed function response decoded, with headers that describe it', async () => {
    const t = tag()
    const res = await gateway('/function/gzip', { headers: { ...t.headers, 'accept-encoding': 'gzip' } })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('compressed by the function')
    expect(res.headers.get('content-encoding')).toBeNull()
  })

  it('passes a redirect through instead of following it', async () => {
    const res = await gateway('/function/redirect', { redirect: 'manual' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('/elsewhere')
    expect(await res.text()).toBe('moved')
  })

  it('passes the function error statuses through', async () => {
    for (const code of [400, 404, 500, 502, 503]) {
      const res = await gateway(`/function/status?code=${code}`)
      expect(res.status).toBe(code)
      expect(await res.text()).toBe(`status ${code}`)
    }
  })

  // A name that cannot be deployed is a function that does not exist: 404, like an unknown one.
  // (Dot segments such as /function/.. are resolved by new Request() here; the unit properties cover them.)
  it.each([
    '/function/',
    '/function/.openfaas-fn',
    '/function/UPPER',
    '/function/Echo/x',
    '/function/a..b',
    '/function/my.dotted.fn.staging/x',
    '/function/bad%20name',
    '/function/bad!name',
    '/function/under_score',
    '/function/-echo',
    '/function/echo-',
    `/function/${'a'.repeat(64)}`,
    '/function/.staging',
    '/function/echo./x',
    '/function/echo.Staging',
    '/function/echo.stag_ing?x=1',
    `/function/echo.${'a'.repeat(64)}`,
  ])('answers %s with 404 "no such function" and forwards nothing', async (path) => {
    const t = tag()
    const res = await gateway(path, { headers: t.headers })
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toContain('text/plain')
    expect(await res.text()).toMatch(/^no such function: .+\n$/)
    expect(await received(t.id)).toEqual([])
  })

  it('answers /function with the router 404 and forwards nothing', async () => {
    const t = tag()
    const res = await gateway('/function', { headers: t.headers })
    expect(res.status).toBe(404)
    expect(await received(t.id)).toEqual([])
  })
})
