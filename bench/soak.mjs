#!/usr/bin/env node
// The soak: the gateway in front of the dev provider under a steady rate of
// invocations for SOAK_SECONDS, with the function scaled to zero through the
// API every SOAK_IDLE_EVERY seconds so that it idles and wakes again and again.
// It reports the error rate, p50/p99 (warm and waking calls apart), the
// gateway's own count of the invocations next to the soak's, and the memory
// (RSS) of the gateway and the provider after warm-up and at the end, against
// the bounds below. SOAK_TARGET=npm (the default) runs it under `npm start`;
// SOAK_TARGET=workerd against the production bundle served by workerd itself.
// Loopback only; bounded by SOAK_SECONDS; everything it starts is stopped at
// the end, or when it is interrupted.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { TARGETS } from './soak-target.mjs'
import { machine } from './system.mjs'

const number = (name, fallback) => {
  const value = Number(process.env[name] ?? fallback)
  if (!(value > 0)) throw new Error(`${name} must be a positive number`)
  return value
}
const target = process.env.SOAK_TARGET ?? 'npm'
if (!(target in TARGETS)) throw new Error(`SOAK_TARGET must be one of ${Object.keys(TARGETS).join(', ')}`)
const settings = {
  target,
  seconds: number('SOAK_SECONDS', 600),
  rate: number('SOAK_RATE', 25),
  idleEvery: number('SOAK_IDLE_EVERY', 30),
  coldStartMs: number('SOAK_COLD_START_MS', 1000),
  warmupSeconds: number('SOAK_WARMUP_SECONDS', 20),
}
// Past this many calls in flight the gateway is not keeping up; the soak counts the rest as errors, not queues them.
const MAX_IN_FLIGHT = 500
const FUNCTION = 'soak'
const log = (line) => process.stderr.write(`${line}\n`)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The stated bounds, from the first sample after warm-up to the end. The
 * provider and wrangler's Node process must not grow past a few MiB of noise.
 * workerd grows as V8 and its allocator warm up, to a plateau (about 220 MiB
 * after some 40,000 calls for the production bundle, and the same for a bare
 * pass-through Worker), so it gets a ceiling. Under `wrangler dev` workerd
 * keeps about 60 KiB per request whatever the Worker (a bare pass-through
 * Worker too, local observability on or off): that is wrangler's, so there the
 * bound is per call, with room for edgefaas's own subrequests.
 */
const BOUNDS = {
  npm: { providerGrowthMiB: 32, wranglerGrowthMiB: 64, workerdKiBPerCall: 96 },
  workerd: { providerGrowthMiB: 32, workerdCeilingMiB: 320 },
}

function judge(bounds, start, end, calls) {
  const broken = []
  const growth = (kind) => end[kind] - start[kind]
  if (bounds.providerGrowthMiB !== undefined && growth('provider') > bounds.providerGrowthMiB)
    broken.push(`provider grew ${growth('provider').toFixed(0)} MiB (bound ${bounds.providerGrowthMiB})`)
  if (bounds.wranglerGrowthMiB !== undefined && growth('wrangler') > bounds.wranglerGrowthMiB)
    broken.push(`wrangler grew ${growth('wrangler').toFixed(0)} MiB (bound ${bounds.wranglerGrowthMiB})`)
  const perCall = (growth('workerd') * 1024) / Math.max(1, calls)
  if (bounds.workerdKiBPerCall !== undefined && perCall > bounds.workerdKiBPerCall)
    broken.push(`workerd grew ${perCall.toFixed(1)} KiB per call (bound ${bounds.workerdKiBPerCall})`)
  if (bounds.workerdCeilingMiB !== undefined && end.workerd > bounds.workerdCeilingMiB)
    broken.push(`workerd reached ${end.workerd.toFixed(0)} MiB (ceiling ${bounds.workerdCeilingMiB})`)
  return { workerdKiBPerCall: perCall, broken }
}

const quantile = (sorted, q) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
const ms = (n) => (Number.isFinite(n) ? n.toFixed(1) : '—')

log(
  `soak (${target}): ${settings.seconds} s at ${settings.rate} req/s, scaled to zero every ${settings.idleEvery} s`,
)
const stack = await TARGETS[target]({ coldStartMs: settings.coldStartMs })
let stopped = false
const stop = async () => {
  if (stopped) return
  stopped = true
  await stack.stop()
}
process.on('exit', () => {
  if (!stopped) stack.kill()
})
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
])
  process.on(signal, () => process.exit(code))

const api = async (method, path, body) => {
  const res = await fetch(`${stack.gateway}${path}`, { method, body: body && JSON.stringify(body) })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`)
  return text
}

await api('POST', '/system/functions', {
  service: FUNCTION,
  image: 'functions/cat:latest',
  envProcess: 'cat',
  labels: { 'com.openfaas.scale.zero': 'true' },
})

/** The gateway's count of the function's invocations so far (its Durable Objects keep counts across runs). */
async function countedSoFar() {
  const text = await (await fetch(`${stack.gateway}/metrics`)).text()
  let sum = 0
  for (const m of text.matchAll(
    /^gateway_function_invocation_total\{function_name="soak\.openfaas-fn",code="\d+"\} (\d+)$/gm,
  ))
    sum += Number(m[1])
  return sum
}
const countedBefore = await countedSoFar()

const calls = [] // { at, ms, status, woke }
let inFlight = 0
let refused = 0
async function invoke(n) {
  if (inFlight >= MAX_IN_FLIGHT) {
    refused++
    return
  }
  inFlight++
  const started = performance.now()
  try {
    const res = await fetch(`${stack.gateway}/function/${FUNCTION}`, { method: 'POST', body: `call ${n}` })
    const body = await res.text()
    const ok = res.status === 200 && body === `call ${n}`
    calls.push({
      at: started,
      ms: performance.now() - started,
      status: ok ? 200 : res.status === 200 ? 'wrong body' : res.status,
      woke: res.headers.has('x-scale-from-zero-seconds'),
    })
  } catch (error) {
    calls.push({
      at: started,
      ms: performance.now() - started,
      status: `error: ${error.cause?.code ?? error.message}`,
    })
  } finally {
    inFlight--
  }
}

// An open loop: calls start on schedule whether or not earlier ones have ended, as independent clients would.
const began = performance.now()
const end = began + settings.seconds * 1000
const interval = 1000 / settings.rate
let sent = 0
let nextIdle = began + settings.idleEvery * 1000
let scaledToZero = 0
let memoryStart
const samples = []
let nextSample = began + settings.warmupSeconds * 1000
while (performance.now() < end) {
  const now = performance.now()
  const due = Math.floor((now - began) / interval)
  while (sent <= due) void invoke(sent++)
  if (now >= nextIdle) {
    nextIdle += settings.idleEvery * 1000
    api('POST', `/system/scale-function/${FUNCTION}`, { serviceName: FUNCTION, replicas: 0 }).then(
      () => scaledToZero++,
      (error) => log(`scale to zero failed: ${error.message}`),
    )
  }
  if (now >= nextSample) {
    nextSample += 60_000
    const mib = stack.memory()
    memoryStart ??= mib
    samples.push({ s: Math.round((now - began) / 1000), ...mib })
    const recent = calls.filter((c) => c.at >= now - 60_000)
    const errors = recent.filter((c) => c.status !== 200).length
    log(
      `${samples.at(-1).s} s: ${recent.length} calls in the last minute, ${errors} errors; RSS workerd ${mib.workerd.toFixed(0)} MiB, wrangler ${mib.wrangler.toFixed(0)} MiB, provider ${mib.provider.toFixed(0)} MiB`,
    )
  }
  await sleep(Math.max(1, Math.min(interval, 20)))
}
const memoryEnd = stack.memory()
const callsAfterWarmup = calls.filter((c) => c.at - began >= settings.warmupSeconds * 1000).length
samples.push({ s: settings.seconds, ...memoryEnd })
for (let i = 0; i < 600 && inFlight > 0; i++) await sleep(100)

// The gateway's own count of the calls, once the isolate's last flush (about a second) has landed.
await sleep(3_000)
const counted = (await countedSoFar()) - countedBefore
await stop()

const answered = calls.filter((c) => typeof c.status === 'number' || c.status === 'wrong body')
const errors = calls.filter((c) => c.status !== 200)
const byStatus = {}
for (const c of errors) byStatus[c.status] = (byStatus[c.status] ?? 0) + 1
const sorted = (list) => list.map((c) => c.ms).sort((a, b) => a - b)
const okAll = sorted(calls.filter((c) => c.status === 200))
const warm = sorted(calls.filter((c) => c.status === 200 && !c.woke))
const woke = sorted(calls.filter((c) => c.status === 200 && c.woke))
const start = memoryStart ?? memoryEnd
const growth = Object.fromEntries(Object.keys(memoryEnd).map((kind) => [kind, memoryEnd[kind] - start[kind]]))
const verdict = judge(BOUNDS[target], start, memoryEnd, callsAfterWarmup)
const withinBound = verdict.broken.length === 0
const result = {
  date: new Date().toISOString(),
  machine: machine(),
  settings,
  sent,
  answered: answered.length,
  refusedInFlight: refused,
  errors: errors.length,
  errorRate: errors.length / Math.max(1, sent),
  byStatus,
  scaledToZero,
  wakes: woke.length,
  latencyMs: {
    p50: quantile(okAll, 0.5),
    p99: quantile(okAll, 0.99),
    warmP50: quantile(warm, 0.5),
    warmP99: quantile(warm, 0.99),
    wokeP50: quantile(woke, 0.5),
    wokeP99: quantile(woke, 0.99),
  },
  countedByGateway: counted,
  // What the gateway counts: every invocation it answered, except a 404 for a function it does not know.
  countable: answered.filter((c) => c.status !== 404).length,
  memoryMiB: { start, end: memoryEnd, growth, samples },
  bounds: BOUNDS[target],
  workerdKiBPerCall: verdict.workerdKiBPerCall,
  withinBound,
  broken: verdict.broken,
  // The async parts (queue consumption, callbacks, lost messages) are measured here once they exist.
  asyncLostMessages: null,
}
writeFileSync(
  fileURLToPath(new URL('./soak-results.json', import.meta.url)),
  `${JSON.stringify(result, null, 2)}\n`,
)

const rss = (m) =>
  `workerd ${m.workerd.toFixed(0)}, wrangler ${m.wrangler.toFixed(0)}, provider ${m.provider.toFixed(0)}`
console.log(`
soak: ${settings.seconds} s at ${settings.rate} req/s (${target === 'npm' ? 'npm start' : 'the production bundle in workerd'}), scaled to zero every ${settings.idleEvery} s

| calls | errors | error rate | p50 ms | p99 ms | warm p50/p99 ms | waking p50/p99 ms (calls) | counted by the gateway |
|--:|--:|--:|--:|--:|--:|--:|--:|
| ${sent} | ${errors.length} | ${(result.errorRate * 100).toFixed(3)} % | ${ms(result.latencyMs.p50)} | ${ms(result.latencyMs.p99)} | ${ms(result.latencyMs.warmP50)} / ${ms(result.latencyMs.warmP99)} | ${ms(result.latencyMs.wokeP50)} / ${ms(result.latencyMs.wokeP99)} (${woke.length}) | ${counted} |

errors by status: ${JSON.stringify(byStatus)}; scaled to zero ${scaledToZero} times
RSS MiB after ${settings.warmupSeconds} s: ${memoryStart ? rss(memoryStart) : '—'}; at the end: ${rss(memoryEnd)}
growth MiB: ${rss(growth)} (workerd ${verdict.workerdKiBPerCall.toFixed(1)} KiB per call); bounds ${JSON.stringify(BOUNDS[target])}: ${withinBound ? 'within them' : `PAST THEM: ${verdict.broken.join('; ')}`}
the gateway counted ${counted} of the ${result.countable} invocations it answered${counted === result.countable ? ' (exact)' : ''}`)
if (!withinBound || counted !== result.countable) process.exitCode = 1
