#!/usr/bin/env node
// A burst at a function scaled to zero: 500 concurrent invocations of a
// function with a 1 s cold start, through the production bundle in workerd,
// against a provider stub that models replicas and counts scale requests.
// Reports the success rate, the scale requests the provider received (one is
// the design), and how much the slowest calls waited beyond the cold start.
// BENCH_BURST (default 500) and BENCH_COLD_START_MS (default 1000). Loopback only.
import { buildBundle, startWorkerd } from '../scripts/production-worker.mjs'
import { startUpstream } from '../test/upstream/server.ts'

const burst = Number(process.env.BENCH_BURST ?? 500)
const coldStartMs = Number(process.env.BENCH_COLD_START_MS ?? 1000)

const upstream = await startUpstream()
const gateway = await startWorkerd({
  bundleDir: buildBundle(),
  vars: { FUNCTIONS_PROVIDER_URL: upstream.url },
})
try {
  const name = `modelled-burst-${Date.now().toString(36)}`
  await fetch(`${upstream.url}/__control/model`, {
    method: 'POST',
    body: JSON.stringify({ name, replicas: 0, available: 0, coldStartMs }),
  })
  const started = performance.now()
  const results = await Promise.all(
    Array.from({ length: burst }, async (_, i) => {
      const t0 = performance.now()
      try {
        const res = await fetch(`${gateway.url}/function/${name}`, { method: 'POST', body: `${i}` })
        await res.arrayBuffer()
        return {
          ok: res.status === 200,
          ms: performance.now() - t0,
          waited: res.headers.get('x-scale-from-zero-seconds'),
        }
      } catch {
        return { ok: false, ms: performance.now() - t0, waited: null }
      }
    }),
  )
  const wall = performance.now() - started
  const model = await (await fetch(`${upstream.url}/__control/model?name=${name}`)).json()
  const sorted = results.map((r) => r.ms).sort((a, b) => a - b)
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
  const ok = results.filter((r) => r.ok).length
  const table = [
    ['burst', `${burst} concurrent calls, cold start ${coldStartMs} ms`],
    ['succeeded', `${ok} / ${burst} (${((100 * ok) / burst).toFixed(1)} %)`],
    ['scale requests to the provider', String(model.scaleCalls.length)],
    [
      'calls that said they waited (X-Scale-From-Zero-Seconds)',
      String(results.filter((r) => r.waited).length),
    ],
    ['p50 / p99 latency', `${at(0.5).toFixed(0)} ms / ${at(0.99).toFixed(0)} ms`],
    ['p99 minus the cold start', `${(at(0.99) - coldStartMs).toFixed(0)} ms`],
    [
      'median wait the gateway reported',
      `${(1000 * Number(results.map((r) => r.waited).sort()[results.length >> 1] ?? Number.NaN)).toFixed(0)} ms`,
    ],
    ['whole burst', `${wall.toFixed(0)} ms`],
  ]
  console.log('\n| cold-start burst | |\n|---|---|')
  for (const [k, v] of table) console.log(`| ${k} | ${v} |`)
  if (ok !== burst || model.scaleCalls.length !== 1) process.exitCode = 1
} finally {
  await gateway.close()
  await new Promise((resolve) => upstream.server.close(resolve))
}
