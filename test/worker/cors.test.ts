import { describe, expect, it } from 'vitest'
import { gatewayWith, received, tag } from './helpers'

const CORS = { CORS_ALLOWED_ORIGINS: 'https://app.example, https://admin.example' }

function preflight(origin: string, headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'OPTIONS',
    headers: {
      ...headers,
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, x-callback-url',
    },
  }
}

describe('CORS', () => {
  it.each(['/function/echo', '/function/echo.staging/sub', '/async-function/echo', '/system/functions'])(
    'answers a preflight for %s itself, without the provider',
    async (path) => {
      const t = tag()
      const res = await gatewayWith(CORS, path, preflight('https://app.example', t.headers))
      expect(res.status).toBe(204)
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example')
      expect(res.headers.get('access-control-allow-methods')).toContain('POST')
      expect(res.headers.get('access-control-allow-headers')).toBe('content-type,x-callback-url')
      expect(res.headers.get('access-control-allow-credentials')).toBe('true')
      expect(await received(t.id)).toEqual([])
    },
  )

  it('answers preflights for guarded routes without credentials, as browsers send none', async () => {
    const res = await gatewayWith(
      { ...CORS, BASIC_AUTH: 'true', BASIC_AUTH_USER: 'u', BASIC_AUTH_PASSWORD: 'p' },
      '/system/functions',
      preflight('https://admin.example'),
    )
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://admin.example')
  })

  it('does not allow an origin that is not listed', async () => {
    const res = await gatewayWith(CORS, '/function/echo', preflight('https://evil.example'))
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('adds CORS headers to real responses, exposing the call id', async () => {
    const res = await gatewayWith(CORS, '/function/echo', { headers: { origin: 'https://app.example' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(res.headers.get('access-control-expose-headers')).toContain('X-Call-Id')
    expect(res.headers.get('vary')).toContain('Origin')
  })

  it("adds them to responses whose headers are immutable too (the portal's static files)", async () => {
    const res = await gatewayWith(CORS, '/ui/', { headers: { origin: 'https://admin.example' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://admin.example')
    expect(res.headers.get('vary')).toContain('Origin')
    expect(await res.text()).toContain('<div id="app"></div>')
  })

  it('lets a function answer with its own headers, but the gateway decides the CORS ones', async () => {
    const t = tag()
    const res = await gatewayWith(CORS, '/function/echo', {
      headers: { ...t.headers, origin: 'https://evil.example' },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect(res.headers.get('x-call-id')).not.toBeNull()
  })

  it('allows any origin with *, without credentials', async () => {
    const res = await gatewayWith(
      { CORS_ALLOWED_ORIGINS: '*' },
      '/function/echo',
      preflight('https://any.example'),
    )
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-credentials')).toBeNull()
  })

  it('still forwards a plain OPTIONS invocation to the function', async () => {
    const t = tag()
    const res = await gatewayWith(CORS, '/function/echo', { method: 'OPTIONS', headers: t.headers })
    expect(res.status).toBe(200)
    expect((await received(t.id))[0]?.method).toBe('OPTIONS')
  })

  it('without CORS_ALLOWED_ORIGINS, adds no CORS headers and lets functions answer preflights', async () => {
    const t = tag()
    const res = await gatewayWith(
      { CORS_ALLOWED_ORIGINS: '' },
      '/function/echo',
      preflight('https://app.example', t.headers),
    )
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect((await received(t.id))[0]?.method).toBe('OPTIONS')
  })
})
