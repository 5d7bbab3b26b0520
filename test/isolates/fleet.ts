import { startWorkerd } from '../../scripts/production-worker.mjs'
import { productionBundle } from '../raw/harness.ts'

// A fleet of gateway Workers, each its own isolate on its own socket, sharing one set of Durable Objects:
// the production bundle served by workerd (scripts/production-worker.mjs), as Cloudflare runs one script
// in many isolates. Calls are spread over the gateways round-robin.

export type Fleet = Awaited<ReturnType<typeof startWorkerd>>

/** Settings that let a test see wakes, drains and syncs in seconds: short trust, quick polls, bounded waits. */
export const QUICK = {
  REPLICA_CACHE_TTL: '100ms',
  SCALE_FROM_ZERO_POLL: '25ms',
  SCALE_FROM_ZERO_TIMEOUT: '20s',
  UPSTREAM_TIMEOUT: '10s',
}

export async function startFleet(gateways: number, vars: Record<string, string>): Promise<Fleet> {
  return startWorkerd({ bundleDir: productionBundle(), gateways, vars })
}

export type Answer = { status: number; body: string; gateway: number }

/** `count` calls to `path`, `concurrency` at a time, the i-th through gateway i mod n. */
export async function spread(
  urls: string[],
  count: number,
  concurrency: number,
  path: (i: number) => string,
  init: (i: number) => RequestInit = (i) => ({ method: 'POST', body: String(i) }),
): Promise<Answer[]> {
  const answers: Answer[] = new Array(count)
  let next = 0
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const gateway = i % urls.length
      try {
        const res = await fetch(`${urls[gateway]}${path(i)}`, init(i))
        answers[i] = { status: res.status, body: await res.text(), gateway }
      } catch (error) {
        answers[i] = { status: 0, body: String(error), gateway }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return answers
}

/** A Prometheus counter summed over every series of `family` labelled with `function_name`. */
export function counterTotal(exposition: string, family: string, functionName: string): number {
  let total = 0
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${family}{`) || !line.includes(`function_name="${functionName}"`)) continue
    total += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return total
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `condition` every `everyMs` until it holds or `limitMs` passes; true when it held. */
export async function until(condition: () => boolean | Promise<boolean>, limitMs: number, everyMs = 50) {
  const deadline = Date.now() + limitMs
  for (;;) {
    if (await condition()) return true
    if (Date.now() > deadline) return false
    await sleep(everyMs)
  }
}
