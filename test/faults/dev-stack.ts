import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import { type Provider, startProvider } from '../../provider/src/provider.ts'
import { type FaultProxy, faultProxy } from './proxy'

// The real dev provider behind a fault proxy, for the restart suites: the
// provider can be stopped and started again over its own state, and the
// proxy counts every scale request that reaches it.

export const SCALE_REQUEST = /^POST \/system\/scale-function\//

export type DevStack = {
  dir: string
  provider: Provider
  proxy: FaultProxy
  /** Stops the provider behind a dead proxy, then starts it again over the same state, after `downMs`. */
  restartProvider(downMs: number): Promise<void>
  close(): Promise<void>
}

export async function devStack(coldStartMs: number): Promise<DevStack> {
  const dir = mkdtempSync(join(tmpdir(), 'edgefaas-faults-'))
  const start = () => startProvider({ port: 0, stateDir: join(dir, 'provider'), coldStartMs, log: () => {} })
  const stack: DevStack = {
    dir,
    provider: await start(),
    proxy: undefined as unknown as FaultProxy,
    async restartProvider(downMs) {
      await stack.proxy.down()
      await stack.provider.close()
      await new Promise((resolve) => setTimeout(resolve, downMs))
      stack.provider = await start()
      await stack.proxy.up(stack.provider.url)
    },
    async close() {
      await stack.proxy.close()
      await stack.provider.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  stack.proxy = await faultProxy(stack.provider.url)
  return stack
}

/** Calls the gateway's API, failing the test on anything but the expected status. */
export async function api(gateway: string, method: string, path: string, body: unknown, expected: number) {
  const res = await fetch(`${gateway}${path}`, { method, body: JSON.stringify(body) })
  expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBe(expected)
  await res.arrayBuffer()
}

/** Deploys `name` (a `cat`) through the gateway and waits for its first invocation to be served. */
export async function deployed(gateway: string, name: string): Promise<void> {
  await api(
    gateway,
    'POST',
    '/system/functions',
    { service: name, image: 'local/cat', envProcess: 'cat' },
    202,
  )
  // The first invocation waits for the replica's cold start through the gateway's own scale-from-zero wait.
  const first = await fetch(`${gateway}/function/${name}`, { method: 'POST', body: 'ready?' })
  expect(first.status).toBe(200)
  expect(await first.text()).toBe('ready?')
}

/**
 * Scales `name` to 0 through the gateway and waits until the provider has it
 * there: the gateway drains the function first (src/durable/README.md), so
 * the 202 comes before the scale request does.
 */
export async function scaleToZero(gateway: string, name: string): Promise<void> {
  await api(gateway, 'POST', `/system/scale-function/${name}`, { serviceName: name, replicas: 0 }, 202)
  const deadline = Date.now() + 30_000
  for (;;) {
    const res = await fetch(`${gateway}/system/function/${name}`)
    const status = (await res.json().catch(() => ({}))) as { replicas?: number }
    if (res.ok && status.replicas === 0) return
    if (Date.now() > deadline) throw new Error(`${name} still not at 0 replicas 30 s after the scale to 0`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
