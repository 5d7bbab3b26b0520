import { createExecutionContext } from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import { vi } from 'vitest'
import worker from '../../src/index'
import type { Recorded } from '../upstream/recorded'

export const upstreamUrl = env.FUNCTIONS_PROVIDER_URL
export const GATEWAY = 'http://gateway.test'

/** A request to the gateway as deployed with wrangler.toml (plus the test upstream). */
export function gateway(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`${GATEWAY}${path}`, init))
}

/** A request to the gateway with some variables changed, as a different deployment would see. */
export async function gatewayWith(
  vars: Record<string, string>,
  path: string,
  init?: RequestInit,
): Promise<Response> {
  // Not waiting on the context: the metrics flush it carries may sleep up to a second, as it would in production.
  return worker.fetch(new Request(`${GATEWAY}${path}`, init), { ...env, ...vars }, createExecutionContext())
}

/** A fresh id that tags a test's requests so the upstream can report exactly what it received. */
export function tag(): { id: string; headers: Record<string, string> } {
  const id = crypto.randomUUID()
  return { id, headers: { 'x-test-id': id } }
}

export async function received(id: string): Promise<Recorded[]> {
  const response = await fetch(`${upstreamUrl}/__control/requests?test=${id}`)
  return response.json()
}

export async function release(id: string): Promise<void> {
  await fetch(`${upstreamUrl}/__control/release?test=${id}`)
}

export async function progress(id: string): Promise<number> {
  const response = await fetch(`${upstreamUrl}/__control/progress?test=${id}`)
  const { bytes } = (await response.json()) as { bytes: number }
  return bytes
}

export function basic(username: string, password: string): string {
  return `Basic ${btoa(`${username}:${password}`)}`
}

/** A body read as UTF-8 whatever its type (`.text()` warns on NDJSON, which is text all the same). */
export async function utf8(res: Response): Promise<string> {
  return new TextDecoder().decode(await res.arrayBuffer())
}

/** A line of the call log (test/worker/call-log.test.ts tests those), not one of the gateway's warnings. */
export const isCallLine = (args: unknown[]): boolean =>
  typeof args[0] === 'string' && args[0].startsWith('{"kind":')

/**
 * Runs `action` with console[`level`] captured and returns what it logged: a
 * broken configuration or an unreadable message is logged, and a test asserts
 * that instead of printing it.
 */
async function logged(level: 'warn' | 'error', action: () => Promise<void>): Promise<string> {
  const spy = vi.spyOn(console, level).mockImplementation(() => {})
  try {
    await action()
    return spy.mock.calls
      .filter((args) => !isCallLine(args))
      .map((args) => args.join(' '))
      .join('\n')
  } finally {
    spy.mockRestore()
  }
}

export const loggedWarnings = (action: () => Promise<void>): Promise<string> => logged('warn', action)
export const loggedErrors = (action: () => Promise<void>): Promise<string> => logged('error', action)
