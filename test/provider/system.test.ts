import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { startTestProvider } from './helpers.ts'

const p = await startTestProvider()

describe('system routes', () => {
  it('answers /healthz with 200 OK', async () => {
    const res = await p.request('GET', '/healthz')
    expect(res.status).toBe(200)
    expect(res.text).toBe('OK')
  })

  it('describes itself on /system/info', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string
    }
    const res = await p.request('GET', '/system/info')
    expect(res.status).toBe(200)
    const info = res.json<{ provider: string; orchestration: string; version: Record<string, string> }>()
    expect(info.provider).toBe('edgefaas-dev-provider')
    expect(info.orchestration).toBe('process')
    expect(info.version.release).toBe(pkg.version)
    expect(info.version.sha).toMatch(/^([0-9a-f]{40}|unknown)$/)
    // omitempty in the SDK type: the commit's subject when there is one, else no field at all.
    const subject =
      info.version.sha === 'unknown'
        ? ''
        : execFileSync('git', ['log', '-1', '--format=%s'], { encoding: 'utf8' }).trim()
    if (subject) expect(info.version.commit_message).toBe(subject)
    else expect(info.version).not.toHaveProperty('commit_message')
  })

  it('listens on 127.0.0.1 only', () => {
    expect(p.url).toBe(`http://127.0.0.1:${p.port}`)
    expect(p.port).toBeGreaterThan(0)
  })

  it('answers unknown routes with 404', async () => {
    for (const path of ['/', '/system', '/system/nope', '/functions/x', '/function']) {
      const res = await p.request('GET', path)
      expect(res.status, path).toBe(404)
    }
  })

  it('answers a wrong method on a known path with 405 and Allow', async () => {
    const cases: [string, string, string][] = [
      ['POST', '/healthz', 'GET, HEAD'],
      ['DELETE', '/system/info', 'GET, HEAD'],
      ['PATCH', '/system/functions', 'GET, POST, PUT, DELETE, HEAD'],
      ['PUT', '/system/function/x', 'GET, HEAD'],
      ['GET', '/system/scale-function/x', 'POST'],
      ['PATCH', '/system/secrets', 'GET, POST, PUT, DELETE, HEAD'],
      ['POST', '/system/logs', 'GET, HEAD'],
      ['POST', '/system/namespaces', 'GET, HEAD'],
      ['PATCH', '/system/namespace/x', 'GET, POST, PUT, DELETE, HEAD'],
    ]
    for (const [method, path, allow] of cases) {
      const res = await p.request(method, path)
      expect(res.status, `${method} ${path}`).toBe(405)
      expect(res.headers.get('allow')).toBe(allow)
    }
  })
})
