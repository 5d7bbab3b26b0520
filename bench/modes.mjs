#!/usr/bin/env node
// The two process models of the dev provider through the gateway: an HTTP-mode function (a server per
// replica, kept warm: examples/node-http/index.mjs) against a classic-mode one (a process per call: `cat`),
// each echoing a 1 KiB POST, through the production bundle in workerd in front of the real dev provider.
// Rounds alternate the two. req/s and p50/p99 latency; BENCH_SECONDS (3), BENCH_ROUNDS (3),
// BENCH_CONNECTIONS (10). Loopback only, bounded by rounds × seconds.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startProvider } from '../provider/src/provider.ts'
import { buildBundle, startWorkerd } from '../scripts/production-worker.mjs'
import { load, median } from './load.mjs'
import { machine } from './system.mjs'

const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10)
const example = fileURLToPath(new URL('../examples/node-http/index.mjs', import.meta.url))
const info = machine()
const dir = mkdtempSync(join(tmpdir(), 'edgefaas-bench-modes-'))
const provider = await startProvider({ port: 0, stateDir: dir, coldStartMs: 10, log: () => {} })
const gateway = await startWorkerd({
  bundleDir: buildBundle(),
  logToFile: true,
  vars: { FUNCTIONS_PROVIDER_URL: provider.url },
})
const cases = [
  {
    name: 'HTTP mode (a warm server per replica)',
    fn: 'http-echo',
    spec: {
      envProcess: `${process.execPath} ${example}`,
      envVars: { mode: 'http', exec_timeout: '0' },
      annotations: { 'com.openfaas.ready.http.path': '/ready' },
    },
  },
  { name: 'classic mode (a process per call)', fn: 'classic-echo', spec: { envProcess: 'cat' } },
]
const body = Buffer.alloc(1024, 'x')
const results = cases.map(() => [])
try {
  for (const item of cases) {
    const res = await fetch(`${gateway.url}/system/functions`, {
      method: 'POST',
      body: JSON.stringify({ service: item.fn, image: 'local/bench', ...item.spec }),
    })
    if (res.status !== 202) throw new Error(`deploying ${item.fn}: ${res.status} ${await res.text()}`)
    const deadline = Date.now() + 15_000
    for (;;) {
      const call = await fetch(`${gateway.url}/function/${item.fn}`, { method: 'POST', body })
      const echoed = Buffer.from(await call.arrayBuffer())
      if (call.status === 200 && echoed.equals(body)) break
      if (Date.now() > deadline) throw new Error(`${item.fn} never echoed: ${call.status}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (const [i, item] of cases.entries()) {
      const url = `${gateway.url}/function/${item.fn}`
      const run = await load({ url, body, connections, seconds })
      if (run.failed + run.errors > 0)
        throw new Error(`${item.name}: ${run.failed + run.errors} calls failed`)
      results[i].push(run)
      process.stderr.write(`round ${round + 1} · ${item.name}: ${run.rps.toFixed(0)} req/s\n`)
    }
  }
} finally {
  await gateway.close()
  await provider.close()
  rmSync(dir, { recursive: true, force: true })
}

console.log(`\n${info.cpu}, ${info.cores} cores, Node ${info.node}, workerd ${info.workerd}`)
console.log(`${rounds} rounds, ${connections} connections, ${seconds} s per case, 1 KiB POST echoed\n`)
console.log('| function through the gateway | req/s | p50 ms | p99 ms |')
console.log('|---|--:|--:|--:|')
for (const [i, item] of cases.entries()) {
  const runs = results[i]
  console.log(
    `| ${item.name} | ${median(runs.map((r) => r.rps)).toFixed(0)} | ${median(runs.map((r) => r.p50)).toFixed(2)} | ${median(runs.map((r) => r.p99)).toFixed(2)} |`,
  )
}
