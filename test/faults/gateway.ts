import { startWorkerd } from '../../scripts/production-worker.mjs'
import { productionBundle } from '../raw/harness'

// What the fault suites share: the production bundle in workerd, and bounded
// polling (the machine is shared, so tests wait for a state, not for a time).

export type Workerd = Awaited<ReturnType<typeof startWorkerd>>

/** The production bundle in front of `providerUrl`, with `vars` over wrangler.toml's. */
export function gatewayFor(
  providerUrl: string,
  vars: Record<string, string> = {},
  storageDir?: string,
): Promise<Workerd> {
  return startWorkerd({
    bundleDir: productionBundle(),
    vars: { FUNCTIONS_PROVIDER_URL: providerUrl, ...vars },
    ...(storageDir ? { storageDir } : {}),
  })
}

/** Retries `attempt` until it gives a value, for at most `ms`; fails naming what never happened. */
export async function until<T>(what: string, ms: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await attempt().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

export type Outcome = { status?: number; body?: string; error?: string; ms: number }

/** A status and body, or the connection error a caller saw instead, and how long it took. */
export async function outcome(url: string, init?: RequestInit): Promise<Outcome> {
  const started = Date.now()
  try {
    const res = await fetch(url, init)
    const body = await res.text()
    return { status: res.status, body, ms: Date.now() - started }
  } catch (error) {
    return { error: String(error), ms: Date.now() - started }
  }
}

/** The first sample of a metric with exactly these labels in an exposition, NaN when absent. */
export function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `))
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1))
}
