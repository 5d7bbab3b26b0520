// Gateways as separate processes sharing one set of Durable Objects, the way Cloudflare runs edgefaas
// split into scripts: one script hosts the Durable Object classes (and serves as a gateway too), the
// others bind to them by `script_name`. Each runs the production bundle under `wrangler dev` in a process
// group of its own, so one can be killed mid-load while the rest go on; wrangler's local dev registry, in
// a folder of the run's own, connects them. Loopback only.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, wranglerSettings } from './production-worker.mjs'

// Kept for error messages; the gateway logs a line per call, so a long run keeps only its latest output.
const OUTPUT_KEPT = 1 << 20
const kept = (text) => (text.length > 2 * OUTPUT_KEPT ? text.slice(-OUTPUT_KEPT) : text)

const root = fileURLToPath(new URL('..', import.meta.url))
const wrangler = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js')
const toml = (value) => JSON.stringify(String(value))

/** wrangler.toml's queue and R2 blocks, as they are. */
function asyncBindings() {
  const text = readFileSync(join(root, 'wrangler.toml'), 'utf8')
  const blocks = /^\[\[(?:queues\.producers|queues\.consumers|r2_buckets)\]\]\n(?:[a-z_]+ = .*\n)+/gm
  return [...text.matchAll(blocks)].map((m) => m[0])
}

/** A wrangler config for the bundle: the host declares the classes, a gateway binds to the host's. */
export function gatewayConfig({ name, bundleDir, vars, host }) {
  const settings = wranglerSettings()
  const lines = [
    `name = ${toml(name)}`,
    `main = ${toml(join(bundleDir, 'index.js'))}`,
    'no_bundle = true',
    `compatibility_date = ${toml(settings.compatibilityDate)}`,
    `compatibility_flags = [${settings.compatibilityFlags.map(toml).join(', ')}]`,
    '',
    '[vars]',
    ...Object.entries({ ...settings.vars, ...vars }).map(([k, v]) => `${k} = ${toml(v)}`),
  ]
  for (const { name: binding, className } of settings.durableObjects) {
    lines.push(
      '',
      '[[durable_objects.bindings]]',
      `name = ${toml(binding)}`,
      `class_name = ${toml(className)}`,
    )
    if (host) lines.push(`script_name = ${toml(host)}`)
  }
  if (!host) {
    lines.push(
      '',
      '[[migrations]]',
      'tag = "v1"',
      `new_sqlite_classes = [${settings.sqliteClasses.map(toml).join(', ')}]`,
    )
    // The host also produces and consumes the asynchronous calls (scheduled runs too), as the one script does.
    lines.push('', ...asyncBindings())
  }
  return `${lines.join('\n')}\n`
}

/**
 * Starts `gateways` processes: the first hosts the Durable Objects, each
 * serves the gateway on its own port (`urls`). Resolves once all answer.
 * `kill(i, signal)` ends process i and the workerd it started at once.
 */
export async function startGatewayProcesses({ bundleDir, gateways = 3, vars = {} }) {
  const dir = mkdtempSync(join(tmpdir(), 'edgefaas-processes-'))
  // Names of the run's own: other wrangler sessions on this machine (npm start) must not be bound to.
  const run = Math.random().toString(36).slice(2, 8)
  const host = `edgefaas-host-${run}`
  const env = {
    ...process.env,
    WRANGLER_REGISTRY_PATH: join(dir, 'registry'),
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  }
  const processes = []
  for (let i = 0; i < gateways; i++) {
    const name = i === 0 ? host : `edgefaas-gateway-${i}-${run}`
    const config = join(dir, `${name}.toml`)
    writeFileSync(config, gatewayConfig({ name, bundleDir, vars, host: i === 0 ? undefined : host }))
    const port = await freePort()
    const child = spawn(
      process.execPath,
      [wrangler, 'dev', '-c', config, '--ip', '127.0.0.1', '--port', String(port)].concat([
        '--inspector-port',
        '0',
        '--persist-to',
        join(dir, 'state', name),
        '--log-level',
        'warn',
      ]),
      { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    )
    let output = ''
    child.stdout.on('data', (chunk) => {
      output = kept(output + chunk)
    })
    child.stderr.on('data', (chunk) => {
      output = kept(output + chunk)
    })
    processes.push({ child, url: `http://127.0.0.1:${port}`, output: () => output })
  }
  const stop = (p, signal) => {
    try {
      process.kill(-p.child.pid, signal)
    } catch {}
  }
  const close = async () => {
    for (const p of processes) stop(p, 'SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 90_000
  for (const p of processes) {
    for (;;) {
      if (p.child.exitCode !== null) {
        await close()
        throw new Error(`wrangler dev for ${p.url} exited:\n${p.output()}`)
      }
      // Any answer from the gateway itself will do; wrangler's proxy says 503 while the Worker loads.
      const up = await fetch(`${p.url}/healthz`).then(
        (res) => res.status !== 503,
        () => false,
      )
      if (up) break
      if (Date.now() > deadline) {
        await close()
        throw new Error(`wrangler dev for ${p.url} did not answer within 90 s:\n${p.output()}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  return {
    urls: processes.map((p) => p.url),
    output: (i) => processes[i].output(),
    /** Ends process i (wrangler and its workerd) with `signal`, SIGKILL by default. */
    kill(i, signal = 'SIGKILL') {
      stop(processes[i], signal)
    },
    close,
  }
}
