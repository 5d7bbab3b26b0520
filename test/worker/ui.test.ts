import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { gateway } from './helpers'

// The portal's files come from the ASSETS binding (ui/dist, built by `npm test`'s pretest step).

async function assetPaths(): Promise<string[]> {
  const html = await (await gateway('/ui/')).text()
  return [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string)
}

describe('the portal at /ui/', () => {
  it('serves index.html with a strict policy, uncached by shared caches', async () => {
    const res = await gateway('/ui/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(res.headers.get('cache-control')).toBe('private, no-cache')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    const csp = res.headers.get('content-security-policy') ?? ''
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
    ]) {
      expect(csp).toContain(directive)
    }
    expect(await res.text()).toContain('<div id="app"></div>')
  })

  it('loads nothing from anywhere else: every file the page names is under /ui/', async () => {
    const paths = await assetPaths()
    expect(paths.filter((p) => p !== 'data:,')).not.toEqual([])
    for (const path of paths) expect(path).toMatch(/^(\/ui\/assets\/|data:,$)/)
  })

  it('serves the hashed bundle files as immutable', async () => {
    for (const path of (await assetPaths()).filter((p) => p.startsWith('/ui/'))) {
      const res = await gateway(path)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-type'), path).toMatch(/javascript|css/)
      expect(res.headers.get('cache-control'), path).toBe('private, max-age=31536000, immutable')
      await res.arrayBuffer()
    }
  })

  it('answers a revalidation with 304', async () => {
    const etag = (await gateway('/ui/')).headers.get('etag')
    expect(etag).toBeTruthy()
    const res = await gateway('/ui/', { headers: { 'if-none-match': etag as string } })
    expect(res.status).toBe(304)
  })

  it('redirects /ui to /ui/ and answers HEAD', async () => {
    const res = await gateway('/ui', { redirect: 'manual' })
    expect(res.status).toBe(308)
    expect(res.headers.get('location')).toBe('/ui/')
    const head = await gateway('/ui/', { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })

  it('answers an unknown file with a plain-text 404 and other methods with 405', async () => {
    const missing = await gateway('/ui/nope.js')
    expect(missing.status).toBe(404)
    expect(await missing.text()).toBe('no such file: /ui/nope.js\n')
    const post = await gateway('/ui/', { method: 'POST', body: 'x' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
  })

  it('never serves a portal file outside /ui/', async () => {
    for (const path of ['/index.html', ...(await assetPaths()).map((p) => p.replace(/^\/ui/, ''))]) {
      if (path === 'data:,') continue
      const res = await gateway(path)
      expect(res.status, path).toBe(404)
      await res.arrayBuffer()
    }
  })

  it('says so when the Worker runs without its assets', async () => {
    const ctx = createExecutionContext()
    const res = await worker.fetch(
      new Request('http://gateway.test/ui/'),
      { ...env, ASSETS: undefined } as never,
      ctx,
    )
    await waitOnExecutionContext(ctx)
    expect(res.status).toBe(501)
    expect(await res.text()).toBe('the portal is not deployed with this gateway: no ASSETS binding\n')
  })
})
