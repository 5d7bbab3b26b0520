#!/usr/bin/env node
// Asynchronous invocations end to end under `wrangler dev`: BENCH_ASYNC_CALLS (default 5,000) calls
// POSTed to /async-function/echo with a callback, through the local queue, its consumer and the Durable
// Object ledger, to a function and a callback receiver on loopback. Reports throughput, latency from the
// 202 to the callback (p50/p99), calls lost (must be 0) and duplicate runs (must be 0). Everything binds
// 127.0.0.1 and the script stops by itself (BENCH_ASYNC_TIMEOUT seconds without progress, default 60).
// Locally the queue hands its consumer one batch at a time (Cloudflare runs up to max_concurrency of
// them), so the completion rate is one consumer's, and the latency is mostly the backlog's.
import { createServer } from 'node:http'
import { spawnBenchGateway } from '../scripts/dev-gateway.mjs'
import { freePort } from '../scripts/production-worker.mjs'

const calls = Number(process.env.BENCH_ASYNC_CALLS ?? 5000)
const concurrency = Number(process.env.BENCH_CONNECTIONS ?? 50)
const stallSeconds = Number(process.env.BENCH_ASYNC_TIMEOUT ?? 60)

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)))
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
  })
}

// The provider: `echo` exists with a replica, and counts its runs per call id.
const runs = new Map()
const upstream = createServer(async (req, res) => {
  const body = await readBody(req)
  if (req.url === '/healthz') return res.end('OK')
  if (req.url.startsWith('/system/function/echo')) {
    res.writeHead(200, { 'content-type': 'application/json' })
    return res.end(JSON.stringify({ name: 'echo', image: 'echo', replicas: 1, availableReplicas: 1 }))
  }
  if (req.url === '/system/functions') {
    res.writeHead(200, { 'content-type': 'application/json' })
    return res.end(JSON.stringify([{ name: 'echo', image: 'echo', replicas: 1, availableReplicas: 1 }]))
  }
  // Only invocations are runs: the gateway's own calls (replica sync, say) carry no call id.
  const callId = req.headers['x-call-id']
  if (req.url.startsWith('/function/') && callId) runs.set(callId, (runs.get(callId) ?? 0) + 1)
  res.writeHead(200, { 'content-type': 'text/plain' })
  res.end(body)
})

// The callback receiver: when each call id came back, and how many times.
const sentAt = new Map()
const latencies = []
const callbacks = new Map()
let lastProgress = Date.now()
const receiver = createServer(async (req, res) => {
  await readBody(req)
  const callId = req.headers['x-call-id']
  const seen = (callbacks.get(callId) ?? 0) + 1
  callbacks.set(callId, seen)
  if (seen === 1 && sentAt.has(callId)) latencies.push(performance.now() - sentAt.get(callId))
  lastProgress = Date.now()
  res.writeHead(204).end()
})

const upstreamPort = await listen(upstream)
const receiverPort = await listen(receiver)
const gatewayPort = await freePort()
const gateway = spawnBenchGateway({ port: gatewayPort, providerUrl: `http://127.0.0.1:${upstreamPort}` })
const stop = () => {
  gateway.stop()
  upstream.close()
  receiver.close()
}
process.on('SIGINT', () => {
  stop()
  process.exit(130)
})

async function waitFor(url, tries = 240) {
  for (let i = 0; i < tries; i++) {
    try {
      if ((await fetch(url)).ok) return
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`${url} never answered`)
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]

try {
  await waitFor(`http://127.0.0.1:${gatewayPort}/healthz`)
  const url = `http://127.0.0.1:${gatewayPort}/async-function/echo`
  const callback = `http://127.0.0.1:${receiverPort}/cb`
  let next = 0
  let refused = 0
  const started = performance.now()
  async function sender() {
    while (next < calls) {
      const i = next++
      const res = await fetch(url, {
        method: 'POST',
        body: `call ${i}`,
        headers: { 'x-callback-url': callback },
      })
      await res.arrayBuffer()
      if (res.status === 202) sentAt.set(res.headers.get('x-call-id'), performance.now())
      else refused++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, sender))
  const enqueued = performance.now() - started
  lastProgress = Date.now()
  while (callbacks.size < sentAt.size && Date.now() - lastProgress < stallSeconds * 1000)
    await new Promise((resolve) => setTimeout(resolve, 100))
  // Late duplicates would arrive now.
  await new Promise((resolve) => setTimeout(resolve, 2000))
  const finished = performance.now() - started

  const sorted = latencies.sort((a, b) => a - b)
  const lost = [...sentAt.keys()].filter((id) => !callbacks.has(id)).length
  const duplicateRuns = [...runs.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0)
  const duplicateCallbacks = [...callbacks.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0)
  console.log(
    `\n${calls} async calls with callbacks, ${concurrency} concurrent senders, under wrangler dev\n`,
  )
  console.log(
    '| enqueue req/s | completed calls/s | p50 ms | p99 ms | lost | duplicate runs | duplicate callbacks | refused |',
  )
  console.log('|---|---|---|---|---|---|---|---|')
  console.log(
    `| ${Math.round(sentAt.size / (enqueued / 1000))} | ${Math.round(callbacks.size / ((finished - 2000) / 1000))} | ${Math.round(percentile(sorted, 50))} | ${Math.round(percentile(sorted, 99))} | ${lost} | ${duplicateRuns} | ${duplicateCallbacks} | ${refused} |`,
  )
  if (lost > 0 || duplicateRuns > 0) process.exitCode = 1
} finally {
  stop()
}
