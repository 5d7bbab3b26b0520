#!/usr/bin/env node
// What the call log costs an invocation: the bare pass-through Worker and edgefaas with LOG_CALLS=none,
// errors, all with LOG_SAMPLE=0.1, and all, in the same run, rounds alternating so drift hits each alike.
// Every case is the `wrangler deploy` bundle served by workerd on one core, its output going to a file
// (as a log collector takes it); the load and the echo function share the other core. Ratios are to the
// bare Worker in the same round. BENCH_SECONDS (3), BENCH_ROUNDS (5), BENCH_CONNECTIONS (10). Loopback only.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildBundle, startWorkerd } from '../scripts/production-worker.mjs'
import { load, median } from './load.mjs'
import { canPin, machine, pinSelf, processCpuUs } from './system.mjs'
import { startEcho } from './upstream.mjs'

const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10)
const root = fileURLToPath(new URL('..', import.meta.url))
const passthrough = join(root, 'bench', 'passthrough', 'wrangler.toml')
const info = machine()
const pinned = canPin()
if (pinned) pinSelf(1)

const echo = await startEcho()
const gateway = buildBundle()
const bare = buildBundle({ config: passthrough })
const wrap = pinned ? ['taskset', '-c', '0'] : []
const cases = [
  {
    name: 'bare pass-through Worker',
    bundleDir: bare,
    config: passthrough,
    vars: { UPSTREAM_URL: echo.url },
  },
  { name: 'edgefaas, LOG_CALLS=none', vars: { LOG_CALLS: 'none' } },
  { name: 'edgefaas, LOG_CALLS=errors', vars: { LOG_CALLS: 'errors' } },
  { name: 'edgefaas, LOG_CALLS=all, LOG_SAMPLE=0.1', vars: { LOG_CALLS: 'all', LOG_SAMPLE: '0.1' } },
  { name: 'edgefaas, LOG_CALLS=all (the default)', vars: { LOG_CALLS: 'all' } },
]
const results = cases.map(() => [])
try {
  for (const item of cases) {
    item.worker = await startWorkerd({
      bundleDir: item.bundleDir ?? gateway,
      ...(item.config ? { config: item.config } : {}),
      wrap,
      logToFile: true,
      vars: { FUNCTIONS_PROVIDER_URL: echo.url, ...item.vars },
    })
    const check = await fetch(`${item.worker.url}/function/echo`, { method: 'POST', body: 'x' })
    if (check.status !== 200) throw new Error(`${item.name}: ${check.status} ${await check.text()}`)
  }
  for (let round = 0; round < rounds; round++) {
    for (const [i, item] of cases.entries()) {
      const url = `${item.worker.url}/function/echo`
      await load({ url, body: Buffer.alloc(0), connections, seconds: 1 })
      const cpuBefore = processCpuUs(item.worker.pid)
      const run = await load({ url, body: Buffer.alloc(0), connections, seconds })
      const cpuUs = (processCpuUs(item.worker.pid) - cpuBefore) / run.requests
      if (run.failed + run.errors > 0)
        throw new Error(`${item.name}: ${run.failed + run.errors} calls failed`)
      results[i].push({ rps: run.rps, cpuUs })
      process.stderr.write(`round ${round + 1} · ${item.name}: ${run.rps.toFixed(0)} req/s\n`)
    }
  }
  // The lines really were written: one per call in the default case.
  const written = cases
    .at(-1)
    .worker.output()
    .split('\n')
    .filter((l) => l.startsWith('{"kind":"sync"'))
  if (written.length === 0) throw new Error('LOG_CALLS=all wrote no call-log lines')
} finally {
  for (const item of cases) await item.worker?.close()
  await echo.close()
}

console.log(`\n${info.cpu}, ${info.cores} cores, Node ${info.node}, workerd ${info.workerd}`)
console.log(
  `${rounds} rounds, ${connections} connections, ${seconds} s per case, 0 B POST${pinned ? ', Worker on CPU 0' : ''}\n`,
)
console.log('| case | req/s | ÷ bare (same round) | Worker CPU µs/call | vs LOG_CALLS=none |')
console.log('|---|--:|--:|--:|--:|')
const none = median(results[1].map((r) => r.cpuUs))
for (const [i, item] of cases.entries()) {
  const ratio = median(results[i].map((r, round) => r.rps / results[0][round].rps))
  const cpuUs = median(results[i].map((r) => r.cpuUs))
  console.log(
    `| ${item.name} | ${median(results[i].map((r) => r.rps)).toFixed(0)} | ${ratio.toFixed(2)} | ${cpuUs.toFixed(0)} | ${i < 2 ? '—' : `${cpuUs >= none ? '+' : ''}${(cpuUs - none).toFixed(0)} µs`} |`,
  )
}
