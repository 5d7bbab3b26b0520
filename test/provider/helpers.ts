import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll } from 'vitest'
import { type Provider, type ProviderOptions, startProvider } from '../../provider/src/provider.ts'
import type { LogEntry, FunctionStatus as WireFunctionStatus } from '../../src/schemas/openfaas.ts'

const fixturesDir = fileURLToPath(new URL('./fixtures/', import.meta.url))

// Providers and temporary directories made by a test file, undone after its last test. Registered at
// import, so helpers may be called from hooks and tests alike.
const cleanups: (() => unknown)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

// Absolute path of an executable fixture script (its mode is re-asserted in case a checkout lost it).
export function fixture(name: string): string {
  const path = join(fixturesDir, name)
  chmodSync(path, 0o755)
  return path
}

export function tempDir(prefix = 'edgefaas-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export type TestProvider = Provider & {
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>
}
export type Reply = { status: number; text: string; headers: Headers; json<T = unknown>(): T }

// A provider on 127.0.0.1, port 0, with its own state directory; stopped after the file's tests.
export async function startTestProvider(options: ProviderOptions = {}): Promise<TestProvider> {
  const provider = await startProvider({
    port: 0,
    stateDir: options.stateDir ?? tempDir(),
    coldStartMs: 10,
    log: () => {},
    ...options,
  })
  cleanups.push(() => provider.close())
  return Object.assign(provider, {
    request: (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
      request(provider.url, method, path, body, headers),
  })
}

export async function request(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, text, headers: res.headers, json: <T>() => JSON.parse(text) as T }
}

// The wire type, with the fields the dev provider always reports made required.
export type FunctionStatus = WireFunctionStatus &
  Required<
    Pick<
      WireFunctionStatus,
      'namespace' | 'image' | 'invocationCount' | 'replicas' | 'availableReplicas' | 'createdAt'
    >
  >

export type { LogEntry } from '../../src/schemas/openfaas.ts'

export async function deploy(p: TestProvider, deployment: Record<string, unknown>, waitReady = true) {
  const res = await p.request('POST', '/system/functions', { image: 'example/fn:latest', ...deployment })
  if (res.status !== 202) throw new Error(`deploy failed: ${res.status} ${res.text}`)
  if (waitReady) await waitForReady(p, String(deployment.service), deployment.namespace as string | undefined)
}

export async function status(p: TestProvider, name: string, namespace?: string): Promise<FunctionStatus> {
  const res = await p.request('GET', `/system/function/${name}${namespace ? `?namespace=${namespace}` : ''}`)
  if (res.status !== 200) throw new Error(`status of ${name}: ${res.status} ${res.text}`)
  return res.json<FunctionStatus>()
}

export async function waitForReady(p: TestProvider, name: string, namespace?: string, replicas?: number) {
  await waitFor(async () => {
    const s = await status(p, name, namespace)
    return s.availableReplicas > 0 && s.availableReplicas === (replicas ?? s.replicas)
  }, `${name} to be ready`)
}

export async function logs(p: TestProvider, query: string): Promise<LogEntry[]> {
  const res = await p.request('GET', `/system/logs?${query}`)
  if (res.status !== 200) throw new Error(`logs: ${res.status} ${res.text}`)
  return res.text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LogEntry)
}

// Polls until a condition holds: tests wait for states, never for fixed times.
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

// Whether a process still exists; a zombie (exited, not yet reaped) counts as gone.
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

export function pidsIn(dir: string): number[][] {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pids'))
    .map((f) => readFileSync(join(dir, f), 'utf8').trim().split(' ').map(Number))
}
