import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// `npm start` as a newcomer runs it: scripts/start.mjs starting the dev provider and `wrangler dev`.
// Ports are picked free so the test never collides with a running `npm start`.

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function poll<T>(what: string, attempt: () => Promise<T | undefined>, tries = 240): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await attempt().catch(() => undefined)
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`timed out waiting for ${what}`)
}

let child: ChildProcess
let gateway: string
let provider: string
let output = ''
const stateDir = mkdtempSync(join(tmpdir(), 'edgefaas-start-'))

beforeAll(async () => {
  const [gatewayPort, providerPort] = [await freePort(), await freePort()]
  gateway = `http://127.0.0.1:${gatewayPort}`
  provider = `http://127.0.0.1:${providerPort}`
  child = spawn(process.execPath, ['scripts/start.mjs'], {
    env: {
      ...process.env,
      EDGEFAAS_GATEWAY_PORT: String(gatewayPort),
      EDGEFAAS_PROVIDER_PORT: String(providerPort),
      EDGEFAAS_STATE_DIR: stateDir,
      EDGEFAAS_COLD_START_MS: '50',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  await poll('the gateway to answer /healthz', async () => {
    const res = await fetch(`${gateway}/healthz`)
    return res.status === 200 ? true : undefined
  }).catch((error: Error) => {
    throw new Error(`${error.message}\n${output}`)
  })
}, 90_000)

afterAll(() => {
  // Whatever happened, leave no process behind.
  if (child.pid && child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL')
    } catch {}
  }
  rmSync(stateDir, { recursive: true, force: true })
})

describe('npm start', () => {
  it('serves the README quick start through the gateway', async () => {
    const deploy = await fetch(`${gateway}/system/functions`, {
      method: 'POST',
      body: JSON.stringify({ service: 'wc', image: 'functions/alpine:latest', envProcess: 'wc' }),
    })
    expect(deploy.status).toBe(202)
    const text = await poll('wc to answer', async () => {
      const res = await fetch(`${gateway}/function/wc`, { method: 'POST', body: 'hello edge world' })
      return res.status === 200 ? res.text() : undefined
    })
    expect(text.trim().split(/\s+/)).toEqual(['0', '3', '16'])
    const info = (await (await fetch(`${gateway}/system/info`)).json()) as { provider: { provider: string } }
    expect(info.provider.provider).toBe('edgefaas-dev-provider')
  })

  it('wakes a function scaled to 0 on its next invocation, saying how long it waited', async () => {
    const scaled = await fetch(`${gateway}/system/scale-function/wc`, {
      method: 'POST',
      body: JSON.stringify({ serviceName: 'wc', replicas: 0 }),
    })
    expect(scaled.status).toBe(202)
    const status = (await (await fetch(`${gateway}/system/function/wc`)).json()) as { replicas: number }
    expect(status.replicas).toBe(0)
    const woken = await fetch(`${gateway}/function/wc`, { method: 'POST', body: 'wake up' })
    expect(woken.status).toBe(200)
    expect((await woken.text()).trim().split(/\s+/)).toEqual(['0', '2', '7'])
    expect(Number(woken.headers.get('x-scale-from-zero-seconds'))).toBeGreaterThan(0)
    const after = (await (await fetch(`${gateway}/system/function/wc`)).json()) as {
      availableReplicas: number
    }
    expect(after.availableReplicas).toBe(1)
  })

  it('stops both servers on one Ctrl-C', async () => {
    child.kill('SIGINT')
    const code = await poll('start.mjs to exit', async () => child.exitCode ?? undefined, 120)
    expect(code).toBe(0)
    for (const url of [gateway, provider]) {
      await expect(fetch(`${url}/healthz`)).rejects.toThrow()
    }
  })
})
