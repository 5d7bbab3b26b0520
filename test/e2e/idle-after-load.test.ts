import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { poll, type Stack, startStack } from './stack'

// A function scaled up by load comes back down to zero once the load stops: under `npm start`, with the
// settings a user puts in `.dev.vars` (AUTOSCALE_TARGET=2, AUTOSCALE_DOWN_WINDOW=15s, IDLE_AFTER=30s, given
// here as --var so the user's own file is left alone), sha512sum limited to 2 replicas and allowed to
// idle, called with no body from two clients at 5 req/s each, a new connection per call. The load is
// 200 calls (20 s) rather than 1,000 (100 s): from the second autoscaler tick on it holds the function at
// 2 replicas either way, and what is under test comes after it ends.

const CALLS = 200
const PER_CLIENT_INTERVAL_MS = 200

let stack: Stack

beforeAll(async () => {
  stack = await startStack({
    args: ['--var', 'AUTOSCALE_TARGET:2', '--var', 'AUTOSCALE_DOWN_WINDOW:15s', '--var', 'IDLE_AFTER:30s'],
  })
}, 90_000)

afterAll(() => stack?.stop())

/** One call on a connection of its own, as a client without keep-alive makes it. */
const call = (method: string, path: string, body?: string) =>
  new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      `${stack.gateway}${path}`,
      { method, agent: false, headers: { connection: 'close' } },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          text += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })

const replicas = async () =>
  (JSON.parse((await call('GET', '/system/function/sha512sum')).text) as { replicas: number }).replicas

describe('npm start: a loaded function idles once its load stops', () => {
  it('reaches 2 replicas under load and 0 after it, never more than scale.max', async () => {
    const deployed = await call(
      'POST',
      '/system/functions',
      JSON.stringify({
        service: 'sha512sum',
        image: 'functions/alpine:latest',
        envProcess: 'sha512sum',
        labels: { 'com.openfaas.scale.max': '2', 'com.openfaas.scale.zero': 'true' },
      }),
    )
    expect(deployed.status).toBe(202)
    const seen = new Set<number>()
    const watching = setInterval(() => {
      replicas().then(
        (n) => seen.add(n),
        () => {},
      )
    }, 1_000)
    const statuses: Record<number, number> = {}
    const start = Date.now()
    const client = async () => {
      for (let i = 0; i < CALLS / 2; i++) {
        const wait = start + i * PER_CLIENT_INTERVAL_MS - Date.now()
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
        const { status } = await call('POST', '/function/sha512sum')
        statuses[status] = (statuses[status] ?? 0) + 1
      }
    }
    try {
      await Promise.all([client(), client()])
      expect(statuses).toEqual({ 200: CALLS })
      expect(seen, 'replicas seen during the load').toContain(2)
      // The down window (15 s) and the idle time (30 s) have to pass; two minutes is the bound.
      await poll(
        'sha512sum to scale to 0 after its load',
        async () => ((await replicas()) === 0 ? true : undefined),
        480, // at 250 ms a try
      )
    } finally {
      clearInterval(watching)
    }
    expect(Math.max(...seen), 'never more than com.openfaas.scale.max').toBeLessThanOrEqual(2)
  }, 240_000)
})
