// The production bundle served by workerd itself, with no dev proxy in front:
// what security tests and benchmarks must measure, because `wrangler dev` and
// `new Request(url)` both normalise the request target before the Worker sees it.
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Kept for error messages; the gateway logs a line per call, so a long run keeps only its latest output.
const OUTPUT_KEPT = 16 << 20
const kept = (text) => (text.length > 2 * OUTPUT_KEPT ? text.slice(-OUTPUT_KEPT) : text)

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = (name) => join(root, 'node_modules', '.bin', name)

/**
 * Bundles a Worker exactly as `wrangler deploy` would (`--dry-run --outdir`).
 * `config` defaults to the project's wrangler.toml; returns the folder holding `index.js`.
 */
export function buildBundle({ config = join(root, 'wrangler.toml'), outdir, minify } = {}) {
  const dir = outdir ?? mkdtempSync(join(tmpdir(), 'edgefaas-bundle-'))
  execFileSync(
    process.execPath,
    [
      bin('wrangler'),
      'deploy',
      '--dry-run',
      '--outdir',
      dir,
      '--config',
      config,
      ...(minify === false ? ['--minify=false'] : []),
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    },
  )
  return dir
}

/** The runtime settings wrangler.toml gives the Worker: compatibility date, flags and [vars]. */
export function wranglerSettings(config = join(root, 'wrangler.toml')) {
  const toml = readFileSync(config, 'utf8')
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1]
  if (!date) throw new Error(`${config} has no compatibility_date`)
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? ''
  const vars = {}
  const section = /^\[vars\]\n([\s\S]*?)(?:^\[|(?![\s\S]))/m.exec(toml)?.[1] ?? ''
  for (const [, key, value] of section.matchAll(/^(\w+)\s*=\s*"([^"]*)"/gm)) vars[key] = value
  const durableObjects = [
    ...toml.matchAll(
      /^\[\[durable_objects\.bindings\]\]\nname\s*=\s*"([^"]+)"\nclass_name\s*=\s*"([^"]+)"/gm,
    ),
  ].map(([, name, className]) => ({ name, className }))
  const sqliteClasses = [...toml.matchAll(/^new_sqlite_classes\s*=\s*\[([^\]]*)\]/gm)].flatMap(([, list]) =>
    [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]),
  )
  return {
    compatibilityDate: date,
    compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]),
    vars,
    durableObjects,
    sqliteClasses,
  }
}

export async function freePort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

const capnpString = (value) => JSON.stringify(String(value))

/**
 * One workerd serving the bundle as `ports.length` gateways, each its own
 * Worker (so its own isolate, with its own module state: replica cache,
 * metrics buffer) on its own socket. The first hosts the Durable Objects;
 * the others bind to its classes by service name, as Workers on Cloudflare
 * bind to a class another script exports (`script_name`).
 */
function workerdConfig({ ports, settings, vars, storageDir }) {
  const text = Object.entries(vars).map(
    ([name, value]) => `(name = ${capnpString(name)}, text = ${capnpString(value)})`,
  )
  const objects = (host) =>
    settings.durableObjects.map(({ name, className }) =>
      host
        ? `(name = ${capnpString(name)}, durableObjectNamespace = ${capnpString(className)})`
        : `(name = ${capnpString(name)}, durableObjectNamespace = (className = ${capnpString(className)}, serviceName = "main"))`,
    )
  // Durable Objects live on local disk: in the run's own temporary folder unless the caller keeps them.
  const namespaces = settings.durableObjects
    .map(
      ({ className }) =>
        `(className = ${capnpString(className)}, uniqueKey = ${capnpString(`edgefaas-${className}`)}, enableSql = ${settings.sqliteClasses.includes(className)})`,
    )
    .join(', ')
  const names = ports.map((_, i) => (i === 0 ? 'main' : `gateway-${i}`))
  const worker = (i) => `const ${i === 0 ? 'gateway' : `gateway${i}`} :Workerd.Worker = (
  modules = [ (name = "index.js", esModule = embed "index.js") ],
  compatibilityDate = ${capnpString(settings.compatibilityDate)},
  compatibilityFlags = [${settings.compatibilityFlags.map(capnpString).join(', ')}],
  bindings = [
    ${[...text, ...objects(i === 0)].join(',\n    ')}
  ],${
    i === 0
      ? `
  durableObjectNamespaces = [${namespaces}],
  durableObjectStorage = (localDisk = "durable-objects"),`
      : ''
  }
);
`
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    ${names.map((name, i) => `(name = "${name}", worker = .${i === 0 ? 'gateway' : `gateway${i}`}),`).join('\n    ')}
    # The provider and test servers live on loopback, which the default network refuses.
    (name = "internet", network = (allow = ["public", "private", "local"])),
    (name = "durable-objects", disk = (path = ${capnpString(storageDir)}, writable = true)),
  ],
  sockets = [
    ${ports.map((port, i) => `(name = "http-${i}", address = "127.0.0.1:${port}", http = (), service = "${names[i]}")`).join(',\n    ')}
  ],
);

${ports.map((_, i) => worker(i)).join('\n')}`
}

/**
 * Serves a built bundle with workerd on 127.0.0.1. `vars` are layered over
 * wrangler.toml's [vars]. Resolves once the socket accepts connections.
 * `args` go to `workerd serve` (e.g. `--inspector-addr`). `wrap` is a command that execs workerd (e.g. `['taskset', '-c', '0']`), so
 * `pid` stays workerd's own; `pollMs` is how often readiness is probed, and
 * `spawnedAt` (performance.now()) lets a caller time the start-up.
 * `storageDir` keeps Durable Objects in a folder the caller owns, which
 * outlives `close()`: a second workerd started over it is the same runtime
 * restarted (every object rebuilt from what it stored). Without it they live
 * in the run's own temporary folder, removed on `close()`. `gateways` above 1
 * serves that many gateway Workers sharing the Durable Objects, each an
 * isolate of its own on its own port (`urls`); `url` is the first.
 * `logToFile` sends workerd's output to a file in the run's folder instead of
 * a pipe this process reads (benchmarks: the call log writes a line per call).
 */
export async function startWorkerd({
  bundleDir,
  vars = {},
  port,
  config,
  wrap = [],
  args = [],
  pollMs = 50,
  storageDir: ownStorage,
  gateways = 1,
  logToFile = false,
} = {}) {
  const settings = wranglerSettings(config)
  const listen = port ?? (await freePort())
  const ports = [listen]
  while (ports.length < gateways) ports.push(await freePort())
  const dir = mkdtempSync(join(tmpdir(), 'edgefaas-workerd-'))
  writeFileSync(join(dir, 'index.js'), readFileSync(join(bundleDir, 'index.js')))
  const storageDir = ownStorage ?? join(dir, 'durable-objects')
  mkdirSync(storageDir, { recursive: true })
  writeFileSync(
    join(dir, 'config.capnp'),
    workerdConfig({ ports, settings, vars: { ...settings.vars, ...vars }, storageDir }),
  )
  const command = [...wrap, bin('workerd'), 'serve', join(dir, 'config.capnp'), ...args]
  const spawnedAt = performance.now()
  // A log file takes the output as a log collector would, without waking a reader for every line.
  const logFile = logToFile ? join(dir, 'workerd.log') : undefined
  const logFd = logFile ? openSync(logFile, 'a') : undefined
  const stdio = logFd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', logFd, logFd]
  const child = spawn(command[0], command.slice(1), { stdio })
  if (logFd !== undefined) closeSync(logFd)
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output = kept(output + chunk)
  })
  child.stderr?.on('data', (chunk) => {
    output = kept(output + chunk)
  })
  const outputNow = () => (logFile ? kept(readFileSync(logFile, 'utf8')) : output)
  const urls = ports.map((p) => `http://127.0.0.1:${p}`)
  const url = urls[0]
  const deadline = Date.now() + 15_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`workerd exited (${child.exitCode ?? child.signalCode}):\n${outputNow()}`)
    const answers = await Promise.all(
      urls.map((u) =>
        fetch(`${u}/__workerd_ready`).then(
          () => true,
          () => false,
        ),
      ),
    )
    const up = answers.every(Boolean)
    if (up) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`workerd did not listen on ${url} within 15 s:\n${outputNow()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
  return {
    url,
    urls,
    port: listen,
    pid: child.pid,
    spawnedAt,
    output: outputNow,
    /** Stops workerd; `SIGKILL` ends it the way a runtime loses a process, mid-request. */
    async close(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill(signal)
        // A workerd stuck in shutdown must not outlive the caller.
        const force = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(force)
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
