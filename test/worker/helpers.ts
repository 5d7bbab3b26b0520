import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
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
  const ctx = createExecutionContext()
  const response = await worker.fetch(new Request(`${GATEWAY}${path}`, init), { ...env, ...vars }, ctx)
  await waitOnExecutionContext(ctx)
  return response
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
