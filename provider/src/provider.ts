import { once } from 'node:events'
import { rmSync } from 'node:fs'
import type { IncomingMessage, Server, ServerOptions } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { createApp } from './app.ts'
import { type ProviderConfigInput, resolveConfig } from './config.ts'
import { unavailable } from './errors.ts'
import { createFunctions } from './functions.ts'
import { providerInfo } from './info.ts'
import { createLogs } from './logs.ts'
import { createNamespaces } from './namespaces.ts'
import { createSandbox, type SecretsMode } from './sandbox.ts'
import { createSecrets } from './secrets.ts'
import { createServerPool } from './servers.ts'
import { createStore } from './store.ts'
import { createUpgrades } from './upgrade.ts'
import { createProcessTable } from './watchdog.ts'

export type ProviderOptions = ProviderConfigInput & {
  // Provider events and, prefixed with the function, every function log line. Default: console.log.
  log?: (line: string) => void
}

export type Provider = {
  url: string
  port: number
  stateDir: string
  secretsMode: SecretsMode
  // Live counts, for diagnostics and tests that must wait for a state rather than for time: function
  // processes (HTTP mode's servers among them), queued requests, log followers, open WebSocket tunnels.
  stats(): { processes: number; servers: number; queued: number; logFollowers: number; tunnels: number }
  close(): Promise<void>
}

const HOST = '127.0.0.1'

export async function startProvider(options: ProviderOptions = {}): Promise<Provider> {
  const { log = console.log, ...input } = options
  const config = resolveConfig(input)
  const store = createStore(config.stateDir)
  const saved = await store.load()
  const sandbox = createSandbox(config.secretsMode)
  log(`secrets: ${sandbox.mode} mode (${sandbox.reason})`)
  const servers = createServerPool()

  // Materialised secrets are derived state: rebuilt from secrets.json at every start.
  const runDir = join(config.stateDir, 'run')
  rmSync(runDir, { recursive: true, force: true })

  const namespaces = createNamespaces(saved.state.namespaces)
  if (!namespaces.has(config.defaultNamespace)) namespaces.create(config.defaultNamespace, {})
  const secrets = createSecrets(saved.secrets.secrets)
  const logs = createLogs({
    capacity: config.logLines,
    echo: (e) => log(`[${e.name}.${e.namespace} ${e.instance}] ${e.text}`),
  })
  // Once shutdown has stopped the replicas, nothing may be saved: the state on disk keeps the desired
  // replica counts the next start restores.
  let stopping = false
  const persistState = () =>
    stopping
      ? Promise.resolve()
      : store.saveState({ version: 1, namespaces: namespaces.snapshot(), functions: functions.snapshot() })
  const persistSecrets = () =>
    stopping ? Promise.resolve() : store.saveSecrets({ version: 1, secrets: secrets.snapshot() })
  const functions = createFunctions({
    defaultNamespace: config.defaultNamespace,
    coldStartMs: config.coldStartMs,
    namespaces,
    secrets,
    logs,
    secretsRoot: join(runDir, 'secrets'),
    sandbox,
    servers,
    persist: persistState,
  })
  functions.restore(saved.state.functions)
  await persistState()

  const processes = createProcessTable()
  const app = createApp({
    defaultNamespace: config.defaultNamespace,
    info: providerInfo(),
    functions,
    namespaces,
    secrets,
    logs,
    processes,
    sandbox,
    persistState,
    persistSecrets,
    log,
  })

  const upgrades = createUpgrades({ defaultNamespace: config.defaultNamespace, functions, logs })
  const serverOptions: ServerOptions & { shouldUpgradeCallback: (req: IncomingMessage) => boolean } = {
    // Only WebSockets are taken over (upgrade.ts); any other Upgrade, such as h2c, is served as the
    // HTTP/1.1 request it also is. (Node versions without this option hand every upgrade over.)
    shouldUpgradeCallback: (req) => req.headers.upgrade?.toLowerCase() === 'websocket',
  }
  // Loopback only: the provider runs whatever it is asked to, so it must never face a network.
  const server = serve({
    fetch: app.fetch,
    hostname: HOST,
    port: config.port,
    overrideGlobalObjects: false,
    serverOptions,
  }) as Server
  server.on('upgrade', upgrades.handle)
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      functions.stop(unavailable('provider failed to start'))
      throw error
    }),
  ])
  const port = (server.address() as AddressInfo).port
  const url = `http://${HOST}:${port}`
  log(`edgefaas dev provider listening on ${url} (state in ${config.stateDir})`)

  let closing: Promise<void> | undefined
  async function close() {
    stopping = true
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
    // Followers end, WebSockets are cut, queued requests get their 503, running processes and servers
    // die, then connections close.
    logs.closeAll()
    upgrades.closeAll()
    // Servers are killed outright, before their replicas are stopped (which would grant write_timeout).
    const serversKilled = servers.killAll()
    functions.stop(unavailable('the provider is shutting down'))
    await Promise.all([processes.killAll(), serversKilled])
    server.closeAllConnections()
    await stopped
    await store.flush()
    rmSync(runDir, { recursive: true, force: true })
  }

  return {
    url,
    port,
    stateDir: config.stateDir,
    secretsMode: sandbox.mode,
    stats: () => ({
      processes: processes.count() + servers.count(),
      servers: servers.count(),
      queued: functions.all().reduce((n, fn) => n + fn.replicas.waiting(), 0),
      logFollowers: logs.followerCount(),
      tunnels: upgrades.count(),
    }),
    close: () => {
      closing ??= close()
      return closing
    },
  }
}
