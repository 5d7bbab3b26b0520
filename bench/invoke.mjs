#!/usr/bin/env node
// Invocation overhead of the gateway: the same small function call sent
// straight to an upstream on loopback, then through the gateway under
// `wrangler dev` (workerd). Everything binds 127.0.0.1; every run is bounded
// by BENCH_SECONDS (default 5) and the whole script stops by itself.
import { createServer } from 'node:http'
import autocannon from 'autocannon'
import { spawnBenchGateway } from '../scripts/dev-gateway.mjs'

const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10)

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)))
}

async function freePort() {
  const server = createServer()
  const port = await listen(server)
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function waitFor(url, tries = 240) {
  for (let i = 0; i < tries; i++) {
    try {
      if ((await fetch(url)).ok) return
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`${url} never answered`)
}

function run(title, url, body) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        title,
        url,
        method: 'POST',
        body,
        connections,
        duration: seconds,
        headers: { 'content-type': 'text/plain' },
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    )
  })
}

const upstream = createServer((req, res) => {
  if (req.url === '/healthz') return res.end('OK')
  // The gateway asks for a function's status before its first invocation (scale from zero): echo is ready.
  if (req.url.startsWith('/system/function/echo')) {
    res.writeHead(200, { 'content-type': 'application/json' })
    return res.end(JSON.stringify({ name: 'echo', image: 'echo', replicas: 1, availableReplicas: 1 }))
  }
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end(Buffer.concat(chunks))
  })
})
const upstreamPort = await listen(upstream)
const gatewayPort = await freePort()
const gateway = spawnBenchGateway({ port: gatewayPort, providerUrl: `http://127.0.0.1:${upstreamPort}` })
const stop = () => {
  gateway.stop()
  upstream.close()
}
process.on('SIGINT', () => {
  stop()
  process.exit(130)
})

try {
  await waitFor(`http://127.0.0.1:${gatewayPort}/healthz`)
  const body = 'x'.repeat(1024)
  // Warm both paths (JIT, connection pools) before measuring.
  await run('warm-up', `http://127.0.0.1:${gatewayPort}/function/echo`, body)
  const direct = await run('upstream direct', `http://127.0.0.1:${upstreamPort}/function/echo`, body)
  const viaGateway = await run('through the gateway', `http://127.0.0.1:${gatewayPort}/function/echo`, body)

  const row = (name, r) =>
    `| ${name} | ${Math.round(r.requests.average)} | ${r.latency.p50} | ${r.latency.p99} | ${r.errors + r.non2xx} |`
  console.log(`\n${connections} connections, ${seconds} s each, 1 KiB POST echoed\n`)
  console.log('| path | req/s | p50 ms | p99 ms | errors |')
  console.log('|---|---|---|---|---|')
  console.log(row('upstream direct', direct))
  console.log(row('through the gateway (wrangler dev)', viaGateway))
  console.log(`\nadded latency at p50: ${(viaGateway.latency.p50 - direct.latency.p50).toFixed(2)} ms`)
  // A run of errors is not a latency: say so rather than print it as one.
  if (viaGateway.errors + viaGateway.non2xx > 0) {
    console.error('FAILED: calls through the gateway did not all answer 2xx')
    process.exitCode = 1
  }
} finally {
  stop()
}
