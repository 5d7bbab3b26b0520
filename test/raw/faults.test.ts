import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, startWorkerd } from '../../scripts/production-worker.mjs'
import { productionBundle } from './harness'

// Provider faults on the production bundle. workerd logs each refused
// connection; here its output is captured rather than printed.

describe('an unreachable provider', () => {
  let gateway: Awaited<ReturnType<typeof startWorkerd>>
  beforeAll(async () => {
    // A port nothing listens on: free a moment ago, closed now.
    const closed = await freePort()
    gateway = await startWorkerd({
      bundleDir: productionBundle(),
      vars: { FUNCTIONS_PROVIDER_URL: `http://127.0.0.1:${closed}` },
    })
  })
  afterAll(() => gateway?.close())

  it.each(['/function/echo', '/system/functions', '/healthz', '/system/info'])(
    '%s answers 502 with a one-line reason',
    async (path) => {
      const res = await fetch(`${gateway.url}${path}`)
      expect(res.status).toBe(502)
      expect(res.headers.get('content-type')).toContain('text/plain')
      expect(await res.text()).toMatch(/^cannot reach the functions provider for \S+: .+\n$/)
    },
  )
})
