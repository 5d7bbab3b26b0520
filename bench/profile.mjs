#!/usr/bin/env node
import autocannon from 'autocannon'
// Where the gateway's CPU goes on the invocation path, measured in workerd
// itself: the production bundle under load, profiled through workerd's
// inspector (the Chrome DevTools protocol), top functions by self time.
// BENCH_PROFILE_SECONDS (default 5) of load; FEATURES=on turns every feature on.
import { buildBundle, freePort, startWorkerd } from '../scripts/production-worker.mjs'
import { startEcho } from './upstream.mjs'

const seconds = Number(process.env.BENCH_PROFILE_SECONDS ?? 5)
const featuresOn = process.env.FEATURES === 'on'
const top = Number(process.env.TOP ?? 25)

const upstream = await startEcho()
const inspector = await freePort()
const worker = await startWorkerd({
  // Unminified, so the profile names functions; the code is otherwise the deployed bundle.
  bundleDir: buildBundle({ minify: false }),
  args: [`--inspector-addr=127.0.0.1:${inspector}`],
  vars: {
    FUNCTIONS_PROVIDER_URL: upstream.url,
    ...(featuresOn
      ? {
          BASIC_AUTH: 'true',
          BASIC_AUTH_USER: 'u',
          BASIC_AUTH_PASSWORD: 'p',
          CORS_ALLOWED_ORIGINS: 'https://a.example',
        }
      : {}),
  },
})

try {
  const targets = await (await fetch(`http://127.0.0.1:${inspector}/json/list`)).json()
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl)
  await new Promise((resolve, reject) => {
    ws.onopen = resolve
    ws.onerror = reject
  })
  let id = 0
  const waiting = new Map()
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data)
    waiting.get(message.id)?.(message)
    waiting.delete(message.id)
  }
  const send = (method, params = {}) =>
    new Promise((resolve) => {
      const n = ++id
      waiting.set(n, resolve)
      ws.send(JSON.stringify({ id: n, method, params }))
    })

  const load = (duration) =>
    autocannon({
      url: `${worker.url}/function/echo`,
      method: 'POST',
      connections: 10,
      duration,
      headers: { origin: 'https://a.example' },
    })
  await load(1) // warm: the bundle's first calls, the replica cache
  await send('Profiler.enable')
  await send('Profiler.setSamplingInterval', { interval: 100 })
  await send('Profiler.start')
  const result = await load(seconds)
  const { result: stopped } = await send('Profiler.stop')
  ws.close()

  const profile = stopped.profile
  const self = new Map()
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const deltas = profile.timeDeltas
  let total = 0
  profile.samples.forEach((nodeId, i) => {
    const node = byId.get(nodeId)
    const frame = node.callFrame
    const name = `${frame.functionName || '(anonymous)'} ${frame.url ? `${frame.url.split('/').pop()}:${frame.lineNumber}:${frame.columnNumber}` : ''}`
    const dt = deltas[i] ?? 0
    total += dt
    self.set(name, (self.get(name) ?? 0) + dt)
  })
  console.log(
    `${result.requests.total} requests in ${seconds} s (${Math.round(result.requests.average)} req/s), features ${featuresOn ? 'on' : 'off'}`,
  )
  console.log('| self % | function |\n|--:|---|')
  for (const [name, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`| ${((100 * t) / total).toFixed(1)} | ${name.replace(/\|/g, '\\|')} |`)
  }
} finally {
  await worker.close()
  await upstream.close()
}
