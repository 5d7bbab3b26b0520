import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Kept for error messages; the gateway logs a line per call, so a long run keeps only its latest output.
const OUTPUT_KEPT = 1 << 20
const kept = (text: string) => (text.length > 2 * OUTPUT_KEPT ? text.slice(-OUTPUT_KEPT) : text)

// `npm start` as a newcomer runs it: scripts/start.mjs starting the dev provider and `wrangler dev`.
// Ports are picked free so a test never collides with a running `npm start` or with another test's stack.

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

export async function poll<T>(what: string, attempt: () => Promise<T | undefined>, tries = 240): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await attempt().catch(() => undefined)
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`timed out waiting for ${what}`)
}

export type Stack = {
  child: ChildProcess
  gateway: string
  provider: string
  /** Everything both servers printed so far, for failure messages. */
  output: () => string
  /** Kills both servers whatever state they are in, and removes the state directory. */
  stop: () => void
}

/**
 * Starts scripts/start.mjs on free ports with its own state directory and
 * waits until the gateway's /healthz answers 200 through to the provider.
 * `args` go to wrangler dev (`--var BASIC_AUTH:true`, …).
 */
export async function startStack(options: { args?: string[]; coldStartMs?: number } = {}): Promise<Stack> {
  const [gatewayPort, providerPort] = [await freePort(), await freePort()]
  const stateDir = mkdtempSync(join(tmpdir(), 'edgefaas-start-'))
  let output = ''
  // Each stack keeps its Durable Objects (metrics, replica state) in its own folder, so one test's counts
  // never show up in another's: wrangler dev would otherwise share .wrangler/state in the repository.
  const persist = ['--persist-to', join(stateDir, 'wrangler')]
  const child = spawn(process.execPath, ['scripts/start.mjs', ...persist, ...(options.args ?? [])], {
    env: {
      ...process.env,
      EDGEFAAS_GATEWAY_PORT: String(gatewayPort),
      EDGEFAAS_PROVIDER_PORT: String(providerPort),
      EDGEFAAS_STATE_DIR: stateDir,
      EDGEFAAS_COLD_START_MS: String(options.coldStartMs ?? 50),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  child.stdout?.on('data', (chunk) => {
    output = kept(output + chunk)
  })
  child.stderr?.on('data', (chunk) => {
    output = kept(output + chunk)
  })
  const stack: Stack = {
    child,
    gateway: `http://127.0.0.1:${gatewayPort}`,
    provider: `http://127.0.0.1:${providerPort}`,
    output: () => output,
    stop: () => {
      if (child.pid && child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL')
        } catch {}
      }
      rmSync(stateDir, { recursive: true, force: true })
    },
  }
  try {
    await poll('the gateway to answer /healthz', async () => {
      const res = await fetch(`${stack.gateway}/healthz`)
      return res.status === 200 ? true : undefined
    })
  } catch (error) {
    stack.stop()
    throw new Error(`${(error as Error).message}\n${output}`)
  }
  return stack
}
