import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnDevGateway } from '../../scripts/dev-gateway.mjs'
import { freePort } from '../../scripts/production-worker.mjs'
import { checkCase, ESCAPES, rawCase } from './cases'
import { rawRequest, recordingUpstream, requestText, since, type Upstream } from './harness'

// Kept for error messages; the gateway logs a line per call, so a long run keeps only its latest output.
const OUTPUT_KEPT = 1 << 20
const kept = (text: string) => (text.length > 2 * OUTPUT_KEPT ? text.slice(-OUTPUT_KEPT) : text)

// The same assertions through `wrangler dev`, which `npm start` runs: its
// proxy normalises paths before the Worker sees them, which must never open
// what the production bundle keeps shut.

let upstream: Upstream
let port: number
let child: ReturnType<typeof spawnDevGateway>
let output = ''
const persistDir = mkdtempSync(join(tmpdir(), 'edgefaas-wrangler-dev-'))

beforeAll(async () => {
  upstream = await recordingUpstream()
  port = await freePort()
  child = spawnDevGateway({
    port,
    providerUrl: upstream.url,
    extraArgs: [
      // Its own Durable Object state, not the repository's .wrangler/state that other runs share.
      '--persist-to',
      persistDir,
      '--var',
      'BASIC_AUTH:true',
      '--var',
      'BASIC_AUTH_USER:admin',
      '--var',
      'BASIC_AUTH_PASSWORD:pw',
    ],
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  child.stdout?.on('data', (chunk) => {
    output = kept(output + chunk)
  })
  child.stderr?.on('data', (chunk) => {
    output = kept(output + chunk)
  })
  const deadline = Date.now() + 60_000
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (res) => res.status,
      () => 0,
    )
    if (status === 200) break
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`wrangler dev did not start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}, 90_000)

afterAll(async () => {
  if (child?.pid && child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL')
    } catch {}
  }
  await upstream?.close()
  rmSync(persistDir, { recursive: true, force: true })
})

describe('through wrangler dev, auth on, no credentials', () => {
  it.each(ESCAPES)('GET %s reaches nothing outside /function/', async (target) => {
    const mark = upstream.received.length
    const response = await rawRequest(port, requestText('GET', target))
    expect(response.status).not.toBe(500)
    // wrangler dev resolves `\\` and `..` itself before the gateway sees the path, so
    // `/function/x/../../healthz` is a health check by then and `/function/x/a\\b/..\\..\\..\\y`
    // an invocation of y: what reaches the provider is one of those, never /system.
    for (const reached of since(upstream, mark)) {
      expect(reached.target).toMatch(
        /^\/(function\/[-a-zA-Z_0-9.]+(\/|$|\?)|healthz$|system\/function\/[a-z0-9-]+\?namespace=[a-z0-9-]+$|system\/namespaces$|system\/functions\?namespace=[a-z0-9-]+$)/,
      )
    }
  })

  it('generated raw requests never reach the provider outside the invoked function (1,000 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(rawCase, (r) =>
        checkCase({ port, upstream }, r, { authOn: true, behindDevProxy: true }),
      ),
      { numRuns: 1_000 },
    )
  }, 120_000)
})
