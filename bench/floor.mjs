#!/usr/bin/env node
// The floor under the invocation path: a bare pass-through Worker and the same
// Worker with each step the OpenFaaS contract needs (bench/floor/index.mjs),
// alone and together, in alternating rounds, each built as `wrangler deploy`
// builds it and served by workerd on a pinned core. Prints req/s, the ratio to
// the bare Worker in the same round (median of rounds) and workerd's CPU per
// request. FLOOR_VARIANTS, BENCH_SECONDS (2) and BENCH_ROUNDS (7) tune it.
// Loopback only, bounded by rounds × variants × seconds.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildBundle, startWorkerd } from '../scripts/production-worker.mjs'
import { load, median } from './load.mjs'
import { canPin, pinSelf, processCpuUs } from './system.mjs'
import { startEcho } from './upstream.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const config = join(root, 'bench', 'floor', 'wrangler.toml')
const variants = (
  process.env.FLOOR_VARIANTS ??
  'bare,init,init+headers,init+response,init+timer,init+signal,init+headers+response+timer,init+headers+response+timer+trace,init+headers+response+timer+trace+log,bare'
).split(',')
const seconds = Number(process.env.BENCH_SECONDS ?? 2)
const rounds = Number(process.env.BENCH_ROUNDS ?? 7)
const pinned = canPin()
if (pinned) pinSelf(1)
const upstream = await startEcho()
const dir = buildBundle({ config })
// The same variant twice (bare, first and last) runs as two processes: their spread is the noise.
const cases = variants.map((variant, i) => ({
  variant,
  name: variants.indexOf(variant) === i ? variant : `${variant} (again)`,
}))
for (const item of cases) {
  item.worker = await startWorkerd({
    bundleDir: dir,
    config,
    wrap: pinned ? ['taskset', '-c', '0'] : [],
    // The log step's lines go to a file, as a log collector takes them, not through a pipe this process reads.
    logToFile: true,
    vars: { VARIANT: item.variant, UPSTREAM_URL: upstream.url },
  })
  item.runs = []
}
const body = Buffer.alloc(0)
const headers = { 'content-type': 'application/octet-stream', origin: 'https://app.example' }
try {
  for (const item of cases)
    await load({ url: `${item.worker.url}/function/echo`, body, connections: 10, seconds: 1, headers })
  for (let round = 0; round < rounds; round++) {
    for (const item of cases) {
      const before = processCpuUs(item.worker.pid)
      const result = await load({
        url: `${item.worker.url}/function/echo`,
        body,
        connections: 10,
        seconds,
        headers,
      })
      if (result.failed + result.errors > 0)
        throw new Error(`${item.name}: ${result.failed + result.errors} failed`)
      item.runs.push({ rps: result.rps, cpuUs: (processCpuUs(item.worker.pid) - before) / result.requests })
    }
  }
} finally {
  for (const item of cases) await item.worker.close()
  await upstream.close()
}
const bare = cases[0]
console.log(
  `${rounds} rounds of ${seconds} s, 0 B POST, ${pinned ? 'Worker on CPU 0, load on CPU 1' : 'not pinned'}\n`,
)
console.log('| variant | req/s | ÷ bare (same round) | Worker CPU µs/req |\n|---|--:|--:|--:|')
for (const item of cases) {
  const ratio = median(item.runs.map((r, i) => r.rps / bare.runs[i].rps))
  console.log(
    `| ${item.name} | ${median(item.runs.map((r) => r.rps)).toFixed(0)} | ${ratio.toFixed(2)} | ${median(item.runs.map((r) => r.cpuUs)).toFixed(0)} |`,
  )
}
