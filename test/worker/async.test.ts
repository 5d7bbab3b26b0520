import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { checkCallbackUrl } from '../../src/queue/callback-url'
import { awaitCallbacks, callbacks, callbackTo, defineFunction, header, runs } from './async-helpers'
import { gateway, gatewayWith, received, tag, upstreamUrl } from './helpers'

// The producer, and one call end to end: the real queue, the consumer, the test upstream as the
// provider and a real callback receiver on loopback.

const post = (path: string, headers: Record<string, string> = {}, body: BodyInit = 'payload') =>
  gateway(path, { method: 'POST', body, headers })

describe('/async-function/{name}: asynchronous invocation', () => {
  it('answers 202 with a call id, runs the function once and POSTs its answer to the callback', async () => {
    const name = await defineFunction()
    const cb = callbackTo()
    const res = await post(
      `/async-function/${name}`,
      { 'x-callback-url': cb.url, 'content-type': 'text/x-test' },
      'hello async',
    )
    expect(res.status).toBe(202)
    expect(await res.text()).toBe('')
    const callId = res.headers.get('x-call-id')
    expect(callId).toMatch(/^[0-9a-f-]{36}$/)
    const [callback] = await awaitCallbacks(cb.id)
    if (!callback) throw new Error('no callback')
    expect(callback.method).toBe('POST')
    expect(callback.text).toBe('hello async')
    expect(header(callback, 'x-call-id')).toBe(callId)
    expect(header(callback, 'x-function-status')).toBe('200')
    expect(header(callback, 'x-function-name')).toBe(name)
    expect(header(callback, 'content-type')).toBe('text/x-test')
    expect(header(callback, 'x-function-header')).toBe('from the function')
    expect(Number(header(callback, 'x-duration-seconds'))).toBeGreaterThanOrEqual(0)
    expect(header(callback, 'x-retry')).toBe('0')
    expect(header(callback, 'x-retry-max')).toBe('9')
    expect(await runs(name)).toEqual({ [callId as string]: 1 })
  })

  it('invokes the function with the path, raw query, headers and body the caller sent', async () => {
    const name = await defineFunction()
    const t = tag()
    const cb = callbackTo()
    const res = await post(
      `/async-function/${name}.staging/a/b%2Fc?x=1&y=%20`,
      {
        ...t.headers,
        'x-callback-url': cb.url,
        'x-custom': 'kept',
        connection: 'x-hop',
        'x-hop': 'dropped',
        'x-call-id': 'my-call-1',
      },
      'the body',
    )
    expect(res.status).toBe(202)
    expect(res.headers.get('x-call-id')).toBe('my-call-1')
    const [callback] = await awaitCallbacks(cb.id)
    expect(callback && header(callback, 'x-function-name')).toBe(`${name}.staging`)
    const [request] = await received(t.id)
    expect(request?.method).toBe('POST')
    expect(request?.url).toBe(`/function/${name}.staging/a/b%2Fc?x=1&y=%20`)
    expect(request?.body).toBe('the body')
    expect(request?.headers['x-custom']).toBe('kept')
    expect(request?.headers['x-hop']).toBeUndefined()
    expect(request?.headers['x-call-id']).toBe('my-call-1')
    expect(request?.headers['x-callback-url']).toBe(cb.url)
    expect(request?.headers['x-forwarded-host']).toBe('gateway.test')
    expect(Number(request?.headers['x-start-time'])).toBeGreaterThan(0)
  })

  it('runs a call without a callback, and counts it', async () => {
    const name = await defineFunction()
    const res = await post(`/async-function/${name}`)
    expect(res.status).toBe(202)
    const callId = res.headers.get('x-call-id') as string
    await expect.poll(() => runs(name), { timeout: 10_000 }).toEqual({ [callId]: 1 })
  })

  it.each([
    ['/async-function/async-never-defined', 'no such function: async-never-defined.openfaas-fn\n'],
    ['/async-function/missing', 'no such function: missing.openfaas-fn\n'],
    ['/async-function/UPPER', 'no such function: "UPPER" is not name or name.namespace'],
    ['/async-function/a..b/x', 'no such function: "a..b" is not name or name.namespace'],
    ['/async-function/', 'no such function: /async-function/ names none'],
  ])('answers %s with 404 and enqueues nothing', async (path, message) => {
    const t = tag()
    const cb = callbackTo()
    const res = await post(path, { ...t.headers, 'x-callback-url': cb.url })
    expect(res.status).toBe(404)
    expect(await res.text()).toContain(message)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await callbacks(cb.id)).attempts).toBe(0)
    expect((await received(t.id)).filter((r) => r.url.startsWith('/function/'))).toEqual([])
  })

  it('refuses a dot segment below the function with 400', async () => {
    // `new Request` would resolve `..` itself; `..;x` reaches the gateway as sent (test/raw sends raw bytes).
    const res = await post('/async-function/echo/a/..;x/system/secrets')
    expect(res.status).toBe(400)
    expect(await res.text()).toMatch(/^refused .*dot segment/)
  })

  it.each(['GET', 'PUT', 'DELETE', 'PATCH'])('answers %s with 405 and Allow: POST', async (method) => {
    const res = await gateway('/async-function/echo', { method, body: method === 'GET' ? undefined : 'x' })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('POST')
  })

  it.each([
    ['not a url', 'X-Callback-Url must be an absolute http(s) URL, got "not a url"'],
    ['/relative/path', 'X-Callback-Url must be an absolute http(s) URL'],
    ['ftp://files.example/cb', 'X-Callback-Url must be an absolute http(s) URL'],
    ['javascript:alert(1)', 'X-Callback-Url must be an absolute http(s) URL'],
  ])('refuses X-Callback-Url %j with 400', async (url, message) => {
    const name = await defineFunction()
    const res = await post(`/async-function/${name}`, { 'x-callback-url': url })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain(message)
    expect(await runs(name)).toEqual({})
  })

  it('refuses a callback to a host CALLBACK_ALLOWED_HOSTS does not list, and accepts listed ones', async () => {
    const name = await defineFunction()
    const allowed = { CALLBACK_ALLOWED_HOSTS: 'hooks.example.com, 127.0.0.1' }
    const call = (url: string) =>
      gatewayWith(allowed, `/async-function/${name}`, {
        method: 'POST',
        body: 'x',
        headers: { 'x-callback-url': url },
      })
    const refused = await call('https://evil.example.org/cb')
    expect(refused.status).toBe(400)
    expect(await refused.text()).toBe(
      'X-Callback-Url host "evil.example.org" is not allowed; CALLBACK_ALLOWED_HOSTS lists hooks.example.com, 127.0.0.1\n',
    )
    const cb = callbackTo()
    expect((await call(cb.url)).status).toBe(202)
    expect(await awaitCallbacks(cb.id)).toHaveLength(1)
  })

  it.each([
    ['https://hooks.example.com/cb', true],
    ['https://HOOKS.example.com:8443/cb?x=1', true],
    ['https://a.b.example.net/cb', true],
    ['https://example.net/cb', false],
    ['https://hooks.example.com.evil.org/cb', false],
    ['https://evilexample.net/cb', false],
    ['https://user@evil.org/@hooks.example.com', false],
  ])('CALLBACK_ALLOWED_HOSTS "hooks.example.com, *.example.net" allows %s: %s', (url, ok) => {
    const checked = checkCallbackUrl(url, ['hooks.example.com', '*.example.net'])
    expect('url' in checked).toBe(ok)
  })

  it('refuses a malformed caller call id with 400', async () => {
    const name = await defineFunction()
    const res = await post(`/async-function/${name}`, { 'x-call-id': 'has space' })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('X-Call-Id must be 1 to 200 printable ASCII characters')
  })

  it('answers 502 with the provider reason when it cannot say whether the function exists', async () => {
    const res = await post('/async-function/async-broken-provider')
    expect(res.status).toBe(502)
    expect(await res.text()).toBe(
      'the functions provider answered /system/function/async-broken-provider with 500: the provider is broken\n',
    )
  })

  it('accepts a call for a function at zero without waking it; the consumer wakes it and runs the call', async () => {
    const name = `modelled-async-${Date.now().toString(36)}`
    await fetch(`${upstreamUrl}/__control/model`, {
      method: 'POST',
      body: JSON.stringify({ name, coldStartMs: 200 }),
    })
    const cb = callbackTo()
    const res = await post(`/async-function/${name}`, { 'x-callback-url': cb.url }, 'wake up')
    expect(res.status).toBe(202)
    const model = async () =>
      (await (await fetch(`${upstreamUrl}/__control/model?name=${name}`)).json()) as {
        scaleCalls: number[]
        invocations: number
      }
    const [callback] = await awaitCallbacks(cb.id)
    expect(callback?.text).toBe(`served by ${name}: wake up`)
    expect(callback && header(callback, 'x-function-status')).toBe('200')
    expect(await model()).toMatchObject({ scaleCalls: [1], invocations: 1 })
  })

  it('is not guarded by basic auth, and never sends the gateway credentials to the function', async () => {
    const name = await defineFunction()
    const t = tag()
    const res = await gatewayWith(
      { BASIC_AUTH: 'true', BASIC_AUTH_USER: 'admin', BASIC_AUTH_PASSWORD: 'pw' },
      `/async-function/${name}`,
      {
        method: 'POST',
        body: 'x',
        headers: t.headers,
      },
    )
    expect(res.status).toBe(202)
    await expect.poll(async () => (await received(t.id)).length, { timeout: 10_000 }).toBeGreaterThan(0)
    expect((await received(t.id))[0]?.headers.authorization).toBeUndefined()
  })

  it('serves a deployment without the queue bindings with 503 naming them', async () => {
    const res = await gatewayWith(
      { ASYNC_QUEUE: undefined } as unknown as Record<string, string>,
      '/async-function/echo',
      {
        method: 'POST',
        body: 'x',
      },
    )
    expect(res.status).toBe(503)
    expect(await res.text()).toContain('this deployment has no ASYNC_QUEUE binding')
    expect(env.ASYNC_QUEUE).toBeDefined()
  })
})
