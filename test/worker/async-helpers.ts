import { env } from 'cloudflare:workers'
import { onTestFinished, vi } from 'vitest'
import type { AsyncMessage } from '../../src/queue/message'
import type { Callback } from '../upstream/callback-record'
import { isCallLine, upstreamUrl } from './helpers'

// The asynchronous-call tests' view of their real servers: test functions on the
// upstream (test/upstream/async-functions.ts) and the callback receiver
// (test/upstream/callbacks.ts).

const receiver = (env as unknown as { CALLBACK_RECEIVER_URL: string }).CALLBACK_RECEIVER_URL

export type FunctionSpec = {
  labels?: Record<string, string>
  fail?: number
  code?: number
  retryAfter?: string
}

let counter = 0
/** A fresh test function; `attempts` sets its com.openfaas.retry.attempts label. */
export async function defineFunction(spec: FunctionSpec & { attempts?: number } = {}): Promise<string> {
  const name = `async-${Date.now().toString(36)}-${counter++}`
  const { attempts, ...rest } = spec
  const labels = { ...rest.labels, ...(attempts ? { 'com.openfaas.retry.attempts': String(attempts) } : {}) }
  const res = await fetch(`${upstreamUrl}/__control/async-function`, {
    method: 'POST',
    body: JSON.stringify({ name, ...rest, labels }),
  })
  if (res.status !== 201) throw new Error(`could not define ${name}: ${res.status}`)
  return name
}

/** How many times the function ran, per call id. */
export async function runs(name: string): Promise<Record<string, number>> {
  const fn = (await (await fetch(`${upstreamUrl}/__control/async-function?name=${name}`)).json()) as {
    runs: Record<string, number>
  }
  return fn.runs
}

/** A callback URL on the receiver, recording under a fresh id. */
export function callbackTo(query = ''): { id: string; url: string } {
  const id = crypto.randomUUID()
  return { id, url: `${receiver}/cb/${id}${query}` }
}

export async function callbacks(id: string): Promise<{ callbacks: Callback[]; attempts: number }> {
  return (await fetch(`${receiver}/__control/callbacks?id=${id}`)).json()
}

/** Waits until `id` has received `count` callbacks, and returns them. */
export async function awaitCallbacks(id: string, count = 1, timeout = 15_000): Promise<Callback[]> {
  return vi.waitUntil(
    async () => {
      const { callbacks: list } = await callbacks(id)
      return list.length >= count ? list : undefined
    },
    { timeout, interval: 50 },
  )
}

/** A separate receiver that can be taken down and brought back on the same port. */
export async function listener(): Promise<{ url: string; close(): Promise<void>; open(): Promise<void> }> {
  const { url } = (await (await fetch(`${receiver}/__control/listener`, { method: 'POST' })).json()) as {
    url: string
  }
  const port = new URL(url).port
  return {
    url,
    close: async () => {
      await fetch(`${receiver}/__control/listener/close?port=${port}`, { method: 'POST' })
    },
    open: async () => {
      await fetch(`${receiver}/__control/listener/open?port=${port}`, { method: 'POST' })
    },
  }
}

export const header = (callback: Callback, name: string): string | undefined => {
  const value = callback.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

/**
 * Collects what the consumer warns (undelivered callbacks, mostly) instead of
 * printing it, for tests that provoke failures on purpose; call in `beforeEach`.
 * The consumer runs in the tests' isolate, so its console is theirs.
 */
export function captureWarnings(): string[] {
  const lines: string[] = []
  const spy = vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
    if (!isCallLine(args)) lines.push(args.map(String).join(' '))
  })
  onTestFinished(() => spy.mockRestore())
  return lines
}

/** A queue message for one call to `name`, as the producer would enqueue it: a fresh call id and nonce. */
export function asyncMessage(
  name: string,
  options: { body?: Uint8Array; callbackUrl?: string; headers?: [string, string][]; callId?: string } = {},
): AsyncMessage {
  const callId = options.callId ?? crypto.randomUUID()
  return {
    v: 1,
    callId,
    nonce: crypto.randomUUID(),
    fn: { name, namespace: 'openfaas-fn' },
    target: { name, rest: '', search: '' },
    method: 'POST',
    headers: [['x-call-id', callId], ['content-type', 'text/plain'], ...(options.headers ?? [])],
    body: { inline: options.body ?? new TextEncoder().encode(`body of ${callId}`) },
    ...(options.callbackUrl ? { callbackUrl: options.callbackUrl } : {}),
    enqueuedAt: Date.now(),
  }
}
