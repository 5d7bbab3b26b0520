import { describe, expect, it } from 'vitest'
import { basic, gatewayWith, loggedErrors, received, tag } from './helpers'

const AUTH = { BASIC_AUTH: 'true', BASIC_AUTH_USER: 'admin', BASIC_AUTH_PASSWORD: 'correct horse' }
const GOOD = basic('admin', 'correct horse')

describe('basic auth on', () => {
  it.each([
    '/system/functions',
    '/system/function/echo',
    '/system/secrets',
    '/system/namespaces',
    '/system/info',
    '/ui/',
    '/ui',
    '/ui/index.html',
    '/ui/assets/index.js',
    '/index.html',
  ])('guards %s with 401, WWW-Authenticate and "invalid credentials"', async (path) => {
    const t = tag()
    const res = await gatewayWith(AUTH, path, { headers: t.headers })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="Restricted"')
    expect(await res.text()).toBe('invalid credentials')
    expect(await received(t.id)).toEqual([])
  })

  it.each([
    ['wrong password', basic('admin', 'wrong')],
    ['wrong user', basic('root', 'correct horse')],
    ['password prefix', basic('admin', 'correct')],
    ['empty', basic('', '')],
    ['not basic', 'Bearer abc'],
    ['garbage', 'Basic !!!'],
  ])('rejects %s', async (_, authorization) => {
    const t = tag()
    const res = await gatewayWith(AUTH, '/system/functions', { headers: { ...t.headers, authorization } })
    expect(res.status).toBe(401)
    expect(await received(t.id)).toEqual([])
  })

  it('lets valid credentials through and sends the gateway credentials to the provider', async () => {
    const t = tag()
    const res = await gatewayWith(AUTH, '/system/functions', {
      headers: { ...t.headers, authorization: GOOD },
    })
    expect(res.status).toBe(200)
    expect((await received(t.id))[0]?.headers.authorization).toBe(GOOD)
  })

  it('never guards invocations or health, and never sends gateway credentials to functions', async () => {
    const t = tag()
    const invoke = await gatewayWith(AUTH, '/function/echo', { headers: t.headers })
    expect(invoke.status).toBe(200)
    const health = await gatewayWith(AUTH, '/healthz', { headers: t.headers })
    expect(health.status).toBe(200)
    const [toFunction] = await received(t.id)
    expect(toFunction?.url).toBe('/function/echo')
    expect(toFunction?.headers.authorization).toBeUndefined()

    const u = tag()
    await gatewayWith(AUTH, '/function/echo', {
      headers: { ...u.headers, authorization: 'Bearer for-the-function' },
    })
    expect((await received(u.id))[0]?.headers.authorization).toBe('Bearer for-the-function')
  })

  it('leaves / public: it only redirects to the guarded portal', async () => {
    const res = await gatewayWith(AUTH, '/', { redirect: 'manual' })
    expect(res.status).toBe(307)
  })

  // Each of these is a spelling of a guarded path; none may reach the provider unauthenticated.
  it.each([
    '/system/functions/',
    '//system/functions',
    '///system//functions',
    '/./system/functions',
    '/function/../system/functions',
    '/function/%2e%2e/system/functions',
    '/function/%2E%2E/system/secrets',
    '/function/..%2fsystem%2fsecrets',
    '/function/echo/..%2f..%2fsystem/secrets',
    '/function/echo/%2e%2e%2f%2e%2e%2fsystem/secrets',
    '/function/echo/%252e%252e%252f%252e%252e%252fsystem/secrets',
    '/function/echo/..%5c..%5csystem/secrets',
    '/function/echo/..\\..\\system\\secrets',
    '/healthz/../system/secrets',
    '/healthz/%2e%2e/system/secrets',
    '/%73ystem/functions',
    '/system%2ffunctions',
    '/%2fsystem/functions',
    '/SYSTEM/functions',
    '/System/Functions',
    '/system./functions',
    '/system/functions.',
    '/system/functions%00',
    '/system/functions;x',
    '/system/functions%20',
    '/UI/',
    '/ui',
    '/ui./',
    '/function%2fecho/../../system/functions',
    '/async-function/../system/functions',
    '/healthz.',
    '/HEALTHZ',
    '/function/echo%00/../../system/secrets',
  ])('does not let %s through without credentials', async (path) => {
    const t = tag()
    const res = await gatewayWith(AUTH, path, { headers: t.headers })
    expect(res.status).toBe(401)
    expect(await received(t.id)).toEqual([])
  })
})

describe('basic auth off', () => {
  it('serves /system/* without credentials and sends none of its own', async () => {
    const t = tag()
    const res = await gatewayWith({ BASIC_AUTH: 'false' }, '/system/functions', { headers: t.headers })
    expect(res.status).toBe(200)
    expect((await received(t.id))[0]?.headers.authorization).toBeUndefined()
  })

  it('refuses to start with BASIC_AUTH=true but no credentials, naming what is missing', async () => {
    let text = ''
    const logged = await loggedErrors(async () => {
      const res = await gatewayWith({ BASIC_AUTH: 'true' }, '/function/echo')
      expect(res.status).toBe(500)
      text = await res.text()
    })
    expect(text).toContain('BASIC_AUTH_USER is required when BASIC_AUTH=true')
    expect(text).toContain('BASIC_AUTH_PASSWORD is required when BASIC_AUTH=true')
    expect(logged).toContain(text.trim())
  })
})
