#!/usr/bin/env node
// The built-in autoscaler under a load step: 0 → N requests per second → 0
// against one function, through the production bundle in workerd (whose
// Durable Object alarms run the sync loop for real) and the dev provider.
// Prints the replica count over time, the time to scale up and down, and
// the overshoot. Everything listens on 127.0.0.1 and every wait is bounded.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { startProvider } from '../provider/src/provider.ts'
import { buildBundle, startWorkerd } from '../scripts/production-worker.mjs'

const env = (name, fallback) => {
  const value = Number(process.env[name] ?? fallback)
  if (!(value > 0)) throw new Error(`${name} must be a positive number`)
  return value
}
const settings = {
  rps: env('BENCH_AUTOSCALE_RPS', 60),
  loadSeconds: env('BENCH_AUTOSCALE_LOAD_SECONDS', 20),
  target: env('BENCH_AUTOSCALE_TARGET', 10),
  max: Math.round(env('BENCH_AUTOSCALE_MAX', 10)),
  interval: process.env.BENCH_AUTOSCALE_SYNC_INTERVAL ?? '1s',
  downWindow: process.env.BENCH_AUTOSCALE_DOWN_WINDOW ?? '10s',
}
const FUNCTION = 'step'
// How long scaling down may take after the load stops before the run gives up on it.
const DOWN_LIMIT_MS = 90_000
const SAMPLE_MS = 500

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const log = (line) => process.stderr.write(`${line}\n`)

const cleanups = []
async function cleanUp() {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
}
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
])
  process.on(signal, () => cleanUp().finally(() => process.exit(code)))

async function start() {
  const dir = mkdtempSync(join(tmpdir(), 'edgefaas-bench-autoscale-'))
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
  log('building the production bundle…')
  const bundleDir = buildBundle({ outdir: join(dir, 'bundle') })
  const provider = await startProvider({
    port: 0,
    stateDir: join(dir, 'provider'),
    coldStartMs: 1000,
    log: () => {},
  })
  cleanups.push(() => provider.close())
  const gateway = await startWorkerd({
    bundleDir,
    vars: {
      FUNCTIONS_PROVIDER_URL: provider.url,
      SYNC_INTERVAL: settings.interval,
      AUTOSCALE_DOWN_WINDOW: settings.downWindow,
    },
  })
  cleanups.push(() => gateway.close())
  return gateway
}

async function json(url, init) {
  const res = await fetch(url, init)
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`)
  return res.status === 202 ? undefined : res.json()
}

async function deploy(url) {
  await json(`${url}/system/functions`, {
    method: 'POST',
    body: JSON.stringify({
      service: FUNCTION,
      image: 'functions/alpine:latest',
      envProcess: 'cat',
      labels: {
        'com.openfaas.scale.min': '1',
        'com.openfaas.scale.max': String(settings.max),
        'com.openfaas.scale.target': String(settings.target),
      },
    }),
  })
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/function/${FUNCTION}`, { method: 'POST', body: 'ready?' })
    await res.arrayBuffer()
    if (res.status === 200) return
    await sleep(100)
  }
  throw new Error(`${FUNCTION} never served`)
}

/** Every SAMPLE_MS: the provider's replicas and the autoscaler's view, until stopped. */
function sample(url, startedAt) {
  const samples = []
  let running = true
  const done = (async () => {
    for (let i = 0; running && i < 2_000; i++) {
      const at = performance.now() - startedAt
      const [status, scaling] = await Promise.all([
        json(`${url}/system/function/${FUNCTION}`),
        json(`${url}/system/scaling`),
      ]).catch(() => [undefined, undefined])
      const mine = scaling?.functions.find((f) => f.name === FUNCTION)
      samples.push({
        at,
        replicas: status?.replicas,
        available: status?.availableReplicas,
        load: mine?.load ?? null,
        desired: mine?.desired,
      })
      await sleep(Math.max(0, startedAt + (i + 1) * SAMPLE_MS - performance.now()))
    }
  })()
  return {
    samples,
    async stop() {
      running = false
      await done
    },
  }
}

function load(url) {
  return new Promise((resolve, reject) => {
    let ok = 0
    let failed = 0
    const instance = autocannon(
      {
        url: `${url}/function/${FUNCTION}`,
        method: 'POST',
        body: 'x',
        connections: 10,
        overallRate: settings.rps,
        duration: settings.loadSeconds,
      },
      (error) => (error ? reject(error) : resolve({ ok, failed })),
    )
    instance.on('response', (_client, status) => {
      if (status === 200) ok++
      else failed++
    })
  })
}

const s = (ms) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`)

function report(samples, marks) {
  const steady = Math.min(settings.max, Math.ceil(settings.rps / (settings.target * 0.9)))
  const during = samples.filter((x) => x.at >= marks.loadAt && x.at < marks.stopAt)
  const peak = Math.max(1, ...samples.map((x) => x.replicas ?? 0))
  const firstUp = during.find((x) => x.replicas > 1)
  const atSteady = during.find((x) => x.replicas >= steady)
  const back = samples.find((x) => x.at >= marks.stopAt && x.replicas === 1)
  const lines = [
    `load step: 0 → ${settings.rps} req/s for ${settings.loadSeconds} s → 0; target ${settings.target} req/s per replica, ` +
      `max ${settings.max}; SYNC_INTERVAL ${settings.interval}, AUTOSCALE_DOWN_WINDOW ${settings.downWindow}`,
    '',
    '|   t s | load step | measured load | desired | replicas | available |',
    '|------:|----------:|--------------:|--------:|---------:|----------:|',
  ]
  // One row per second is enough to read the shape; the summary uses every sample.
  for (const x of samples.filter((_, i) => i % Math.round(1000 / SAMPLE_MS) === 0)) {
    const step = x.at >= marks.loadAt && x.at < marks.stopAt ? settings.rps : 0
    const bar = '#'.repeat(Math.max(0, x.replicas ?? 0))
    lines.push(
      `| ${(x.at / 1000).toFixed(1).padStart(5)} | ${String(step).padStart(9)} | ${(x.load === null ? '—' : x.load.toFixed(1)).padStart(13)} | ` +
        `${String(x.desired ?? '—').padStart(7)} | ${String(x.replicas ?? '—').padStart(8)} | ${String(x.available ?? '—').padStart(9)} | ${bar}`,
    )
  }
  lines.push(
    '',
    `requests: ${marks.result.ok} answered 200, ${marks.result.failed} other (${(marks.result.ok / settings.loadSeconds).toFixed(1)} req/s)`,
    `steady state: ${steady} replicas (ceil(${settings.rps} / (${settings.target} × 0.9)), at most ${settings.max})`,
    `time to first scale-up: ${s(firstUp && firstUp.at - marks.loadAt)}`,
    `time to scale up to ${steady}: ${s(atSteady && atSteady.at - marks.loadAt)}`,
    `time to scale down to 1 after the load stopped: ${s(back && back.at - marks.stopAt)} (down window ${settings.downWindow})`,
    `peak: ${peak} replicas; overshoot: ${peak - steady} replica${peak - steady === 1 ? '' : 's'} over the steady state`,
  )
  return lines.join('\n')
}

try {
  const gateway = await start()
  await deploy(gateway.url)
  log(`${FUNCTION} deployed; watching for 3 s before the load`)
  const startedAt = performance.now()
  const sampler = sample(gateway.url, startedAt)
  await sleep(3_000)
  const loadAt = performance.now() - startedAt
  log(`load: ${settings.rps} req/s for ${settings.loadSeconds} s`)
  const result = await load(gateway.url)
  const stopAt = performance.now() - startedAt
  log('load stopped; waiting for the function to come back to 1 replica')
  const deadline = Date.now() + DOWN_LIMIT_MS
  while (Date.now() < deadline) {
    const last = sampler.samples.at(-1)
    if (last && last.at > stopAt && last.replicas === 1) break
    await sleep(SAMPLE_MS)
  }
  await sleep(2_000)
  await sampler.stop()
  process.stdout.write(`${report(sampler.samples, { loadAt, stopAt, result })}\n`)
} finally {
  await cleanUp()
}
