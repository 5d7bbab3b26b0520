#!/usr/bin/env node
// What scoped access costs an invocation: the production bundle in workerd, three ways in the same run,
// rounds alternating so drift hits each alike: (a) JWT auth off; (b) JWT auth on, the function open (an
// isolate-cache look-up per call); (c) JWT auth on with AUTH_INVOCATIONS=required, every call carrying a
// valid RS256 token, verified against the issuer's keys (test/upstream/identity.ts, on loopback) once and
// then known to the isolate until it expires.
// The Worker runs on one core, the load, the echo function and the issuer on the other.
// BENCH_SECONDS (3), BENCH_ROUNDS (3), BENCH_CONNECTIONS (10). Loopback only.
import { importJWK, SignJWT } from 'jose'
import { buildBundle, startWorkerd } from '../scripts/production-worker.mjs'
import { startIdentity } from '../test/upstream/identity.ts'
import { load, median } from './load.mjs'
import { canPin, machine, pinSelf, processCpuUs } from './system.mjs'
import { startEcho } from './upstream.mjs'

const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10)
const info = machine()
const pinned = canPin()
if (pinned) pinSelf(1)

const echo = await startEcho()
const identity = await startIdentity()
const jwk = identity.keys.rs256
const now = Math.floor(Date.now() / 1000)
const token = await new SignJWT({
  iss: identity.url,
  aud: 'edgefaas',
  sub: 'bench',
  exp: now + 3600,
  groups: ['invokers'],
})
  .setProtectedHeader({ alg: 'RS256', kid: jwk.kid })
  .sign(await importJWK(jwk, 'RS256'))
const jwt = {
  AUTH_JWT_ISSUER: identity.url,
  AUTH_JWT_AUDIENCE: 'edgefaas',
  AUTH_JWKS_URL: `${identity.url}/jwks`,
  AUTH_POLICIES: JSON.stringify({
    roles: [
      {
        name: 'invokers',
        match: { claim: 'groups', value: 'invokers' },
        allow: [{ actions: ['Function:Invoke'], resources: ['*:*'] }],
      },
    ],
  }),
}
const bundleDir = buildBundle()
const wrap = pinned ? ['taskset', '-c', '0'] : []
const cases = [
  { name: '(a) JWT auth off', vars: {}, headers: {} },
  { name: '(b) JWT auth on, function open', vars: jwt, headers: {} },
  {
    name: '(c) JWT auth on, every call carrying a token',
    vars: { ...jwt, AUTH_INVOCATIONS: 'required' },
    headers: { authorization: `Bearer ${token}` },
  },
]
const results = cases.map(() => [])
try {
  for (const item of cases) {
    item.worker = await startWorkerd({
      bundleDir,
      wrap,
      vars: { FUNCTIONS_PROVIDER_URL: echo.url, ...item.vars },
    })
    const check = await fetch(`${item.worker.url}/function/echo`, {
      method: 'POST',
      body: 'x',
      headers: item.headers,
    })
    if (check.status !== 200) throw new Error(`${item.name}: ${check.status} ${await check.text()}`)
    if (item.vars.AUTH_INVOCATIONS) {
      const refused = await fetch(`${item.worker.url}/function/echo`, { method: 'POST', body: 'x' })
      if (refused.status !== 401)
        throw new Error(`${item.name}: a call without a token got ${refused.status}`)
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (const [i, item] of cases.entries()) {
      const url = `${item.worker.url}/function/echo`
      await load({ url, body: Buffer.alloc(0), connections, seconds: 1, headers: item.headers })
      const cpuBefore = processCpuUs(item.worker.pid)
      const run = await load({ url, body: Buffer.alloc(0), connections, seconds, headers: item.headers })
      const cpuUs = (processCpuUs(item.worker.pid) - cpuBefore) / run.requests
      if (run.failed + run.errors > 0)
        throw new Error(`${item.name}: ${run.failed + run.errors} calls failed`)
      results[i].push({ rps: run.rps, p50: run.p50, p99: run.p99, cpuUs })
      process.stderr.write(`round ${round + 1} · ${item.name}: ${run.rps.toFixed(0)} req/s\n`)
    }
  }
} finally {
  for (const item of cases) await item.worker?.close()
  await echo.close()
  await identity.close()
}

console.log(`\n${info.cpu}, ${info.cores} cores, Node ${info.node}, workerd ${info.workerd}`)
console.log(
  `${rounds} rounds, ${connections} connections, ${seconds} s per case, 0 B bodies${pinned ? ', Worker on CPU 0' : ''}\n`,
)
console.log('| case | req/s | ÷ (a) | p50 ms | p99 ms | Worker CPU µs/call | cost per call |')
console.log('|---|--:|--:|--:|--:|--:|--:|')
const base = { rps: median(results[0].map((r) => r.rps)), cpuUs: median(results[0].map((r) => r.cpuUs)) }
for (const [i, item] of cases.entries()) {
  const rps = median(results[i].map((r) => r.rps))
  const cpuUs = median(results[i].map((r) => r.cpuUs))
  console.log(
    `| ${item.name} | ${rps.toFixed(0)} | ${(rps / base.rps).toFixed(2)} | ${median(results[i].map((r) => r.p50)).toFixed(2)} | ${median(results[i].map((r) => r.p99)).toFixed(2)} | ${cpuUs.toFixed(0)} | ${i === 0 ? '—' : `+${(cpuUs - base.cpuUs).toFixed(0)} µs CPU`} |`,
  )
}
