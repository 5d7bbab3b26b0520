#!/usr/bin/env node
// The gateway's own cost per invocation, with the provider taken out: the
// Worker is bundled as wrangler would, run on Node, and `fetch` answers at
// once, so what is timed is routing, config, headers and response handling.
// Bounded by BENCH_SECONDS (default 3) per case.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const dir = mkdtempSync(join(tmpdir(), 'edgefaas-bench-'))
const outfile = join(dir, 'worker.mjs')
await build({
  entryPoints: ['src/index.ts'],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  outfile,
  logLevel: 'error',
  define: { __EDGEFAAS_SHA__: '"bench"', __EDGEFAAS_COMMIT_MESSAGE__: '""' },
  // Durable Object classes extend the runtime's base class; on Node a plain one stands in for it.
  plugins: [
    {
      name: 'cloudflare-workers-stub',
      setup(b) {
        b.onResolve({ filter: /^cloudflare:workers$/ }, () => ({
          path: 'cloudflare:workers',
          namespace: 'stub',
        }))
        b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
          contents: 'export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env } }',
        }))
      },
    },
  ],
})
const { default: worker } = await import(pathToFileURL(outfile).href)
rmSync(dir, { recursive: true, force: true })

globalThis.fetch = async () => new Response('ok', { status: 200, headers: { 'content-type': 'text/plain' } })
const ctx = { waitUntil() {}, passThroughOnException() {} }
// Metrics flush to a shard that takes everything; scale from zero is off, since there are no Durable Objects
// here (the workerd benchmark measures the warm replica cache, which costs no call).
const shard = { apply: async () => true }
const base = {
  METRICS_SHARD: { idFromName: () => ({}), get: () => shard },
  SCALE_FROM_ZERO: 'false',
  FUNCTIONS_PROVIDER_URL: 'http://127.0.0.1:9',
  UPSTREAM_TIMEOUT: '60s',
  BASIC_AUTH: 'false',
  FUNCTION_NAMESPACE: 'openfaas-fn',
  CORS_ALLOWED_ORIGINS: '',
}

async function measure(name, env, makeRequest, handle) {
  const probe = await worker.fetch(makeRequest(), env, ctx)
  if (probe.status !== 200 && handle !== floor)
    throw new Error(`${name}: status ${probe.status}: ${await probe.text()}`)
  for (let i = 0; i < 20_000; i++) await handle(makeRequest(), env)
  const deadline = performance.now() + seconds * 1000
  let n = 0
  const start = process.cpuUsage()
  const t0 = performance.now()
  while (performance.now() < deadline && n < 2_000_000) {
    for (let i = 0; i < 1000; i++) await handle(makeRequest(), env)
    n += 1000
  }
  const wall = performance.now() - t0
  const cpu = process.cpuUsage(start)
  return { name, n, usPerOp: (wall * 1000) / n, cpuUsPerOp: (cpu.user + cpu.system) / n }
}

const invoke = () => new Request('http://gw.test/function/echo/sub?x=1', { method: 'POST', body: 'hello' })
const throughGateway = async (request, env) => {
  const response = await worker.fetch(request, env, ctx)
  await response.arrayBuffer()
}
// The floor: building the request and answering it with the same stub, no gateway in between.
const floor = async (request) => {
  const response = await fetch(request)
  await response.arrayBuffer()
}

const results = [
  await measure('floor: Request + stub fetch, no gateway', base, invoke, floor),
  await measure('invocation', base, invoke, throughGateway),
  await measure(
    'invocation, basic auth on',
    { ...base, BASIC_AUTH: 'true', BASIC_AUTH_USER: 'u', BASIC_AUTH_PASSWORD: 'p' },
    invoke,
    throughGateway,
  ),
  await measure(
    'invocation, CORS on',
    { ...base, CORS_ALLOWED_ORIGINS: 'https://a.example' },
    invoke,
    throughGateway,
  ),
  await measure(
    'invocation, basic auth and CORS on',
    {
      ...base,
      BASIC_AUTH: 'true',
      BASIC_AUTH_USER: 'u',
      BASIC_AUTH_PASSWORD: 'p',
      CORS_ALLOWED_ORIGINS: 'https://a.example',
    },
    invoke,
    throughGateway,
  ),
  await measure(
    'GET /system/functions, authenticated',
    { ...base, BASIC_AUTH: 'true', BASIC_AUTH_USER: 'u', BASIC_AUTH_PASSWORD: 'p' },
    () =>
      new Request('http://gw.test/system/functions', { headers: { authorization: `Basic ${btoa('u:p')}` } }),
    throughGateway,
  ),
]

console.log(`\nNode ${process.version}, ${seconds} s per case\n`)
console.log('| case | ops | µs/op (wall) | CPU µs/op |')
console.log('|---|---|---|---|')
for (const r of results)
  console.log(`| ${r.name} | ${r.n} | ${r.usPerOp.toFixed(1)} | ${r.cpuUsPerOp.toFixed(1)} |`)
const [floorResult, invocation] = results
console.log(
  `\ngateway overhead per invocation: ~${(invocation.cpuUsPerOp - floorResult.cpuUsPerOp).toFixed(1)} µs CPU`,
)
console.log(`heap used after the run: ${(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(1)} MiB`)
