import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startProvider } from '../../provider/src/provider.ts'
import { freePort, startWorkerd } from '../../scripts/production-worker.mjs'
import { productionBundle } from '../raw/harness.ts'

// OpenFaaS's whole scaling loop, for real: the production bundle in workerd
// in front of the dev provider, a real Prometheus scraping /metrics with the
// rule from examples/prometheus, and a real AlertManager posting to
// /system/alert with basic auth. Load on a function must scale it up, and the
// end of the load must bring it back to its minimum. Intervals are shortened;
// everything is on loopback and bounded in time.

const examples = join(import.meta.dirname, '..', '..', 'examples', 'prometheus')
const USER = 'admin'
const PASSWORD = 'change-me'
const FUNCTION = 'loop'

type Stack = {
  dir: string
  provider: Awaited<ReturnType<typeof startProvider>>
  gateway: Awaited<ReturnType<typeof startWorkerd>>
  processes: ChildProcess[]
  output: string[]
}
let stack: Stack

function example(file: string, replace: [string | RegExp, string][]): string {
  let text = readFileSync(join(examples, file), 'utf8')
  for (const [from, to] of replace) {
    const before = text
    text = text.replaceAll(from, to)
    if (text === before) throw new Error(`examples/prometheus/${file} no longer contains ${from}`)
  }
  return text
}

async function waitFor<T>(what: string, ms: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await attempt().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${what}\n${stack.output.join('')}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

const auth = { authorization: `Basic ${btoa(`${USER}:${PASSWORD}`)}` }
const replicasOf = async () => {
  const res = await fetch(`${stack.gateway.url}/system/function/${FUNCTION}`, { headers: auth })
  return ((await res.json()) as { replicas: number }).replicas
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgefaas-loop-'))
  const output: string[] = []
  const provider = await startProvider({
    port: 0,
    stateDir: join(dir, 'provider'),
    coldStartMs: 50,
    log: () => {},
  })
  const gateway = await startWorkerd({
    bundleDir: productionBundle(),
    vars: {
      FUNCTIONS_PROVIDER_URL: provider.url,
      BASIC_AUTH: 'true',
      BASIC_AUTH_USER: USER,
      BASIC_AUTH_PASSWORD: PASSWORD,
      SYNC_INTERVAL: '1s',
    },
  })
  stack = { dir, provider, gateway, processes: [], output }
  const [promPort, amPort] = [await freePort(), await freePort()]
  const gatewayHost = new URL(gateway.url).host

  writeFileSync(
    join(dir, 'prometheus.yml'),
    example('prometheus.yml', [
      [/scrape_interval: 5s/g, 'scrape_interval: 1s'],
      [/evaluation_interval: 5s/g, 'evaluation_interval: 1s'],
      ['scheme: https', 'scheme: http'],
      ['gateway.example.com', gatewayHost],
      ['127.0.0.1:9093', `127.0.0.1:${amPort}`],
    ]),
  )
  writeFileSync(join(dir, 'rules.yml'), example('rules.yml', [['for: 5s', 'for: 0s']]))
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    example('alertmanager.yml', [
      ['group_wait: 5s', 'group_wait: 1s'],
      ['group_interval: 10s', 'group_interval: 1s'],
      ['repeat_interval: 30s', 'repeat_interval: 2s'],
      ['https://gateway.example.com', gateway.url],
    ]),
  )
  const run = (command: string, args: string[]) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout?.on('data', (chunk) => output.push(`[${command}] ${chunk}`))
    child.stderr?.on('data', (chunk) => output.push(`[${command}] ${chunk}`))
    stack.processes.push(child)
  }
  run('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
  ])
  run('prometheus-alertmanager', [
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${join(dir, 'alertmanager')}`,
    `--web.listen-address=127.0.0.1:${amPort}`,
    // Clustering would listen on every interface; one AlertManager needs none.
    '--cluster.listen-address=',
  ])

  const deploy = await fetch(`${gateway.url}/system/functions`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({
      service: FUNCTION,
      image: 'functions/alpine:latest',
      envProcess: 'cat',
      labels: {
        'com.openfaas.scale.min': '1',
        'com.openfaas.scale.max': '4',
        'com.openfaas.scale.factor': '50',
      },
    }),
  })
  expect(deploy.status).toBe(202)
  await waitFor('the function to serve', 10_000, async () =>
    (await fetch(`${gateway.url}/function/${FUNCTION}`, { method: 'POST', body: 'x' })).status === 200
      ? true
      : undefined,
  )
  await waitFor('Prometheus and AlertManager to be ready', 20_000, async () => {
    const [p, a] = await Promise.all([
      fetch(`http://127.0.0.1:${promPort}/-/ready`),
      fetch(`http://127.0.0.1:${amPort}/-/ready`),
    ])
    return p.ok && a.ok ? true : undefined
  })
}, 60_000)

afterAll(async () => {
  for (const child of stack?.processes ?? []) child.kill('SIGKILL')
  await stack?.gateway.close()
  await stack?.provider.close()
  if (stack) rmSync(stack.dir, { recursive: true, force: true })
})

describe('Prometheus → AlertManager → gateway → provider', () => {
  it('serves an exposition that promtool parses, with no complaint but the names OpenFaaS fixed', async () => {
    // Invocations reach /metrics within about a second of being made.
    let text = ''
    await waitFor('the invocations on /metrics', 10_000, async () => {
      text = await (await fetch(`${stack.gateway.url}/metrics`)).text()
      return text.includes('function_name="loop.openfaas-fn",code="200"') ? true : undefined
    })
    expect(text).toContain('gateway_function_invocation_total{function_name="loop.openfaas-fn",code="200"}')
    // promtool reads the exposition on stdin and prints every problem: a parse error, or a lint of names.
    // Two names are OpenFaaS's own (dashboards and alert rules use them), so their lint is expected.
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
    const problems = `${check.stdout}${check.stderr}`.split('\n').filter(Boolean)
    const namedByOpenFaaS = [
      'gateway_function_invocation_started counter metrics should have "_total" suffix',
      'gateway_service_count non-histogram and non-summary metrics should not have "_count" suffix',
    ]
    expect(problems.filter((problem) => !namedByOpenFaaS.includes(problem))).toEqual([])
  })

  it('scales a function up under load and back to its minimum when the load stops', async () => {
    expect(await replicasOf()).toBe(1)
    // About 20 requests a second, well over the rule's 5, until the alert has scaled the function.
    let loading = true
    const load = (async () => {
      for (let i = 0; loading && i < 1200; i++) {
        await fetch(`${stack.gateway.url}/function/${FUNCTION}`, { method: 'POST', body: `${i}` }).catch(
          () => {},
        )
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })()
    const scaledTo = await waitFor('the alert to scale the function up', 40_000, async () => {
      const replicas = await replicasOf()
      return replicas > 1 ? replicas : undefined
    })
    loading = false
    await load
    expect(scaledTo).toBeGreaterThanOrEqual(3) // one firing notification: 1 + ceil(4 × 50 / 100)
    await waitFor('the resolved alert to bring it back to min', 45_000, async () =>
      (await replicasOf()) === 1 ? true : undefined,
    )
    const log = stack.gateway.output()
    expect(log).toMatch(/alert scaling: loop\.openfaas-fn firing: 1 -> [34]/)
    expect(log).toMatch(/alert scaling: loop\.openfaas-fn resolved: \d -> 1/)
  }, 100_000)
})
