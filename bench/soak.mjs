#!/usr/bin/env node
// The soak: the gateway in front of the dev provider under a steady rate of
// invocations for SOAK_SECONDS, with the function scaled to zero through the
// API every SOAK_IDLE_EVERY seconds so that it idles and wakes again and again.
// It reports the error rate, p50/p99 (warm and waking calls apart), the
// gateway's own count of the invocations next to the soak's, and the memory
// (RSS) of the gateway and the provider after warm-up and at the end, against
// the bounds below. SOAK_TARGET=npm (the default) runs it under `npm start`;
// SOAK_TARGET=workerd against the production bundle served by workerd itself.
// Under `npm start` every SOAK_ASYNC_EVERY-th tick also sends an asynchronous
// call to a second function, idled the same way, with a callback to a receiver
// here: every accepted call must come back once (lost messages: 0).
// Loopback only; bounded by SOAK_SECONDS (plus SOAK_ASYNC_DRAIN_SECONDS for the last callbacks); everything it starts is stopped at
// the end, or when it is interrupted.
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
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
  // The provider grows from about 100 to 135 MiB in its first two minutes under load, and stays there.
  warmupSeconds: number('SOAK_WARMUP_SECONDS', 120),
  asyncEvery: number('SOAK_ASYNC_EVERY', 5),
  asyncDrainSeconds: number('SOAK_ASYNC_DRAIN_SECONDS', 300),
}
// Raw workerd has no queues: the asynchronous part runs under `npm start` only.
const withAsync = target === 'npm'
// Past this many calls in flight the gateway is not keeping up; the soak counts the rest as errors, not queues them.
const MAX_IN_FLIGHT = 500
const FUNCTION = 'soak'
const ASYNC_FUNCTION = 'soak-async'
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

for (const service of withAsync ? [FUNCTION, ASYNC_FUNCTION] : [FUNCTION])
  await api('POST', '/system/functions', {
    service,
    image: 'functions/cat:latest',
    envProcess: 'cat',
    labels: { 'com.openfaas.scale.zero': 'true' },
  })

// Callbacks of the asynchronous calls, recorded as they came and judged only at the end: a callback
// may arrive before its call's 202 has been read here, so judging it on arrival would call it wrong.
const accepted = new Map() // call id -> { body, at }
const refusedAsync = {}
const callbacks = new Map() // call id -> [{ status, body, headers, at }]
const CALLBACK_HEADERS = [
  'x-function-status',
  'x-function-name',
  'x-retry',
  'x-retry-max',
  'x-duration-seconds',
  'content-type',
]
const receiver = createServer((req, res) => {
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => {
    const callId = req.headers['x-call-id']
    const headers = Object.fromEntries(CALLBACK_HEADERS.map((name) => [name, req.headers[name]]))
    const record = {
      status: headers['x-function-status'],
      body: Buffer.concat(chunks).toString(),
      headers,
      at: performance.now(),
    }
    callbacks.set(callId, [...(callbacks.get(callId) ?? []), record])
    res.writeHead(204).end()
  })
})

/** Each accepted call's callbacks, judged: its own result is status 200 with its own body. */
function judgedCallbacks() {
  const ownerOf = new Map([...accepted].map(([callId, call]) => [call.body, callId]))
  return [...accepted].flatMap(([callId, call]) => {
    const got = callbacks.get(callId)
    if (!got) return []
    const [first] = got
    const ok = got.every((c) => c.status === '200' && c.body === call.body)
    return [
      {
        callId,
        count: got.length,
        ok,
        ms: first.at - call.at,
        ...(ok
          ? {}
          : {
              expected: call.body,
              // Whose result it carried, when it carried another accepted call's.
              carried: got.map((c) => ({
                status: c.status,
                body: c.body.slice(0, 200),
                bodyOf: ownerOf.get(c.body) ?? null,
                headers: c.headers,
              })),
            }),
      },
    ]
  })
}
/** Callbacks for call ids this run never saw accepted (a 202 it could not read, or not ours at all). */
const unowned = () => [...callbacks.keys()].filter((id) => !accepted.has(id)).length
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve))
const callbackUrl = `http://127.0.0.1:${receiver.address().port}/done`

async function invokeAsync(n) {
  const body = `async ${n}`
  const at = performance.now()
  try {
    const res = await fetch(`${stack.gateway}/async-function/${ASYNC_FUNCTION}`, {
      method: 'POST',
      body,
      headers: { 'x-callback-url': callbackUrl },
    })
    await res.arrayBuffer()
    if (res.status === 202) accepted.set(res.headers.get('x-call-id'), { body, at })
    else refusedAsync[res.status] = (refusedAsync[res.status] ?? 0) + 1
  } catch (error) {
    const key = `error: ${error.cause?.code ?? error.message}`
    refusedAsync[key] = (refusedAsync[key] ?? 0) + 1
  }
}

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
  while (sent <= due) {
    if (withAsync && sent % settings.asyncEvery === 0) void invokeAsync(sent)
    void invoke(sent++)
  }
  if (now >= nextIdle) {
    nextIdle += settings.idleEvery * 1000
    for (const service of withAsync ? [FUNCTION, ASYNC_FUNCTION] : [FUNCTION])
      api('POST', `/system/scale-function/${service}`, { serviceName: service, replicas: 0 }).then(
        () => service === FUNCTION && scaledToZero++,
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
// Asynchronous calls are requests too (each one more for the consumer and one for its callback).
const callsAfterWarmup =
  calls.filter((c) => c.at - began >= settings.warmupSeconds * 1000).length +
  [...accepted.values()].filter((c) => c.at - began >= settings.warmupSeconds * 1000).length
samples.push({ s: settings.seconds, ...memoryEnd })
for (let i = 0; i < 600 && inFlight > 0; i++) await sleep(100)

// The last asynchronous calls may still be queued or retrying: wait for their callbacks, within a bound.
const drainEnd = performance.now() + settings.asyncDrainSeconds * 1000
const undelivered = () => [...accepted.keys()].filter((id) => !callbacks.has(id)).length
while (withAsync && undelivered() > 0 && performance.now() < drainEnd) await sleep(500)
const drainedInS = withAsync ? (performance.now() - end) / 1000 : 0

// The gateway's own count of the calls, once the isolate's last flush (about a second) has landed.
await sleep(3_000)
const counted = (await countedSoFar()) - countedBefore
// What became of calls that were never called back: dead-lettered (and why), or nowhere the gateway shows.
const missing = [...accepted.keys()].filter((id) => !callbacks.has(id))
let deadLettered = []
if (withAsync && missing.length > 0) {
  const letters = await (await fetch(`${stack.gateway}/system/async/dead-letters?limit=1000`)).json()
  deadLettered = letters.filter((letter) => missing.includes(letter.callId))
  log(`not called back: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', …' : ''}`)
  for (const letter of deadLettered) log(`  dead letter ${letter.callId}: ${letter.kind}, ${letter.reason}`)
  log(
    await (await fetch(`${stack.gateway}/metrics`)).text().then((t) =>
      t
        .split('\n')
        .filter((l) => l.includes('soak-async'))
        .join('\n'),
    ),
  )
}
await stop()
receiver.close()

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
  async: withAsync ? asyncSummary() : null,
  asyncLostMessages: withAsync ? undelivered() : null,
}

function asyncSummary() {
  const delivered = judgedCallbacks()
  const latencies = delivered.map((c) => c.ms).sort((a, b) => a - b)
  return {
    sent: Math.ceil(sent / settings.asyncEvery),
    accepted: accepted.size,
    refused: refusedAsync,
    delivered: delivered.length,
    lost: undelivered(),
    deliveredTwice: delivered.filter((c) => c.count > 1).length,
    wrongResult: delivered.filter((c) => !c.ok).length,
    wrongResults: delivered
      .filter((c) => !c.ok)
      .slice(0, 20)
      .map(({ callId, expected, carried }) => ({ callId, expected, carried })),
    unownedCallbacks: unowned(),
    callbackP50Ms: quantile(latencies, 0.5),
    callbackP99Ms: quantile(latencies, 0.99),
    drainedInS,
  }
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
if (result.async) {
  const a = result.async
  console.log(
    `async: ${a.accepted} of ${a.sent} accepted (refused ${JSON.stringify(a.refused)}), ${a.delivered} called back, ` +
      `${a.lost} lost, ${a.deliveredTwice} called back twice, ${a.wrongResult} with a wrong result ` +
      `(${a.unownedCallbacks} callbacks for calls not seen accepted); callback p50/p99 ` +
      `${ms(a.callbackP50Ms)} / ${ms(a.callbackP99Ms)} ms; the last callback ${a.drainedInS.toFixed(0)} s after the load ended`,
  )
  for (const wrong of a.wrongResults) console.log(`  wrong result: ${JSON.stringify(wrong)}`)
}
const asyncOk = !result.async || (result.async.lost === 0 && result.async.wrongResult === 0)
if (!withinBound || counted !== result.countable || !asyncOk) process.exitCode = 1
