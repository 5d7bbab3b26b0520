#!/usr/bin/env node
// Gateways side by side: 1, 3 and 6 gateway Workers, each its own isolate on its own socket, sharing one
// set of Durable Objects (the production bundle served by workerd, as in test/isolates/), in front of a
// provider that models replicas. For each count: the load spread evenly over the gateways (total req/s,
// p50/p99), a cold-start burst of 600 concurrent calls spread over them (scale requests the provider
// received: one is the design), and an exact-count check (calls sent against the sum every gateway's
// /metrics reports). On this machine every gateway shares the same two cores: the figures show what
// spreading costs and that the global guarantees hold, not how Cloudflare scales out.
// BENCH_GATEWAYS (default "1,3,6"), BENCH_SECONDS (5), BENCH_CONNECTIONS (12). Loopback only.
import { buildBundle, startWorkerd } from '../scripts/production-worker.mjs'
import { counterTotal, spread } from '../test/isolates/fleet.ts'
import { modelledProvider } from '../test/isolates/modelled-provider.ts'
import { load } from './load.mjs'
import { machine } from './system.mjs'

const counts = (process.env.BENCH_GATEWAYS ?? '1,3,6').split(',').map(Number)
const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 12)
const BURST = 600
const COUNTED = 3000
const STILL = { 'com.openfaas.scale.min': '1', 'com.openfaas.scale.max': '1' }

const bundleDir = buildBundle()
const rows = []
let failures = 0
for (const gateways of counts) {
  const provider = await modelledProvider({
    name: 'echo',
    coldStartMs: 0,
    workMs: 0,
    functions: [
      { name: 'echo', labels: STILL, coldStartMs: 0, workMs: 0 },
      { name: 'counted', labels: STILL, coldStartMs: 0, workMs: 0 },
      { name: 'cold', labels: STILL, replicas: 0, coldStartMs: 1000, workMs: 0 },
    ],
  })
  const fleet = await startWorkerd({
    bundleDir,
    gateways,
    vars: {
      FUNCTIONS_PROVIDER_URL: provider.url,
      SCALE_FROM_ZERO_POLL: '25ms',
      SCALE_FROM_ZERO_TIMEOUT: '20s',
    },
  })
  try {
    const each = Math.max(1, Math.round(connections / gateways))
    const run = (s) =>
      Promise.all(
        fleet.urls.map((url) =>
          load({ url: `${url}/function/echo`, body: Buffer.alloc(0), connections: each, seconds: s }),
        ),
      )
    await run(1)
    const runs = await run(seconds)
    const latencies = Float64Array.from(runs.flatMap((r) => [...r.latencies])).sort()
    const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]
    const rps = runs.reduce((sum, r) => sum + r.rps, 0)
    const notOk = runs.reduce((sum, r) => sum + r.failed + r.errors, 0)

    const burst = await spread(fleet.urls, BURST, BURST, () => '/function/cold')
    const burstOk = burst.filter((a) => a.status === 200).length
    const scaleRequests = provider.fn('cold').scales.length

    const sent = await spread(fleet.urls, COUNTED, 24, () => '/function/counted')
    const sentOk = sent.filter((a) => a.status === 200).length
    let counted = []
    const deadline = Date.now() + 10_000
    do {
      await new Promise((resolve) => setTimeout(resolve, 250))
      counted = await Promise.all(
        fleet.urls.map(async (url) =>
          counterTotal(
            await (await fetch(`${url}/metrics`)).text(),
            'gateway_function_invocation_total',
            'counted.openfaas-fn',
          ),
        ),
      )
    } while (counted.some((n) => n !== COUNTED) && Date.now() < deadline)
    const exact = sentOk === COUNTED && counted.every((n) => n === COUNTED)
    if (!exact || scaleRequests !== 1 || burstOk !== BURST || notOk > 0) failures++
    rows.push({
      gateways,
      rps,
      p50: at(0.5),
      p99: at(0.99),
      notOk,
      burst: `${burstOk}/${BURST}`,
      scaleRequests,
      exact: `${exact ? 'exact' : 'NOT exact'}: ${[...new Set(counted)].join(' / ')} of ${COUNTED}`,
    })
    console.error(`${gateways} gateway(s): ${rps.toFixed(0)} req/s, ${scaleRequests} scale request(s)`)
  } finally {
    await fleet.close()
    await provider.close()
  }
}

const info = machine()
console.log(
  `\n${info.cpu}, ${info.cores} cores, Node ${info.node}, workerd ${info.workerd}\n${seconds} s per run, ${connections} connections spread over the gateways, one workerd process\n`,
)
console.log(
  "| gateways | req/s (total) | p50 ms | p99 ms | failed | cold burst: served | cold burst: scale requests | counted on every gateway's /metrics |",
)
console.log('|--:|--:|--:|--:|--:|--:|--:|---|')
for (const r of rows)
  console.log(
    `| ${r.gateways} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.notOk} | ${r.burst} | ${r.scaleRequests} | ${r.exact} |`,
  )
if (failures > 0) process.exitCode = 1
