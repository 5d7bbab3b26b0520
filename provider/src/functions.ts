import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { badRequest, conflict, notFound } from './errors.ts'
import type { Logs } from './logs.ts'
import type { Namespaces } from './namespaces.ts'
import { coldStart, createReplicaSet, type Replica, type ReplicaSet } from './replicas.ts'
import type { Sandbox } from './sandbox.ts'
import type { FunctionSpec, FunctionStatus } from './schemas.ts'
import { type Secrets, writeSecretFiles } from './secrets.ts'
import type { ServerPool } from './servers.ts'
import { type FunctionSettings, readSettings } from './settings.ts'
import type { StoredFunction } from './store.ts'
import { splitEnvProcess } from './watchdog.ts'

// The function lifecycle: deploy, update, scale, delete, and what the provider reports about each.
// Every mutation checks everything first and then changes state synchronously, so a refused request
// changes nothing and two concurrent requests cannot interleave; only persisting the result is async.

export type DeployedFunction = {
  namespace: string
  spec: FunctionSpec
  settings: FunctionSettings
  createdAt: string
  invocationCount: number
  replicas: ReplicaSet
  secretsDir: string
}

export type Functions = ReturnType<typeof createFunctions>

export function createFunctions(deps: {
  defaultNamespace: string
  coldStartMs: number
  namespaces: Namespaces
  secrets: Secrets
  logs: Logs
  // Each function's secrets are materialised under here (see sandbox.ts).
  secretsRoot: string
  sandbox: Sandbox
  // HTTP mode's server processes.
  servers: ServerPool
  persist: () => Promise<void>
}) {
  const byNamespace = new Map<string, Map<string, DeployedFunction>>()

  const inNamespace = (namespace: string) => byNamespace.get(namespace) ?? new Map<string, DeployedFunction>()
  const find = (namespace: string, name: string) => byNamespace.get(namespace)?.get(name)

  function get(namespace: string, name: string): DeployedFunction {
    const fn = find(namespace, name)
    if (fn === undefined) throw notFound(`function ${name} not found in namespace ${namespace}`)
    return fn
  }

  function checkSecrets(namespace: string, spec: FunctionSpec) {
    const missing = [...new Set(spec.secrets ?? [])].filter((s) => !deps.secrets.has(namespace, s))
    if (missing.length > 0) {
      throw badRequest(
        `secret${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found in namespace ${namespace}`,
      )
    }
  }

  function materialiseSecrets(fn: DeployedFunction) {
    const files = new Map<string, Buffer>()
    for (const name of fn.spec.secrets ?? []) {
      const value = deps.secrets.get(fn.namespace, name)
      if (value !== undefined) files.set(name, value)
    }
    writeSecretFiles(fn.secretsDir, files)
  }

  // A fixed upstream_url port serves one replica of one function.
  function checkPorts(namespace: string, name: string, settings: FunctionSettings, replicas: number) {
    const port = settings.upstreamPort
    if (port === undefined) return
    if (replicas > 1) {
      throw badRequest(
        `function ${name}.${namespace} cannot run ${replicas} replicas: its upstream_url ` +
          `http://${settings.upstreamHost}:${port} names a fixed port, and one port serves one replica ` +
          '(leave upstream_url out to give each replica a free port)',
      )
    }
    const other = [...byNamespace.values()]
      .flatMap((fns) => [...fns.values()])
      .find(
        (fn) => fn.settings.upstreamPort === port && !(fn.namespace === namespace && fn.spec.name === name),
      )
    if (other !== undefined) {
      throw badRequest(
        `upstream_url port ${port} is already used by function ${other.spec.name}.${other.namespace}: ` +
          'one port serves one replica (leave upstream_url out to get a free port)',
      )
    }
  }

  // HTTP mode: the replica is the function's server, started with the classic mode's environment plus
  // PORT and upstream_url (see servers.ts).
  function startServer(fn: DeployedFunction, replica: Replica, setReady: (ready: boolean) => void) {
    // Lines from a deleted function's dying server go nowhere: its log is gone, and a function deployed
    // again under the name must not inherit them.
    const log = (text: string) => {
      if (find(fn.namespace, fn.spec.name) === fn)
        deps.logs.append(fn.namespace, fn.spec.name, replica.name, text)
    }
    const argv = splitEnvProcess(fn.spec.envProcess ?? '')
    const command = deps.sandbox.wrap(argv, fn.secretsDir)
    const { server, stop } = deps.servers.start({
      command,
      envProcess: argv.join(' '),
      env: { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', ...fn.spec.envVars, ...command.env },
      host: fn.settings.upstreamHost,
      port: fn.settings.upstreamPort,
      readyPath: fn.settings.readyPath,
      stopGraceMs: fn.settings.writeTimeoutMs,
      log,
      setReady,
    })
    replica.server = server
    return () => void stop()
  }

  function add(namespace: string, spec: FunctionSpec, settings: FunctionSettings, createdAt: string) {
    let fn: DeployedFunction | undefined
    const classic = coldStart(deps.coldStartMs)
    const replicas = createReplicaSet({
      functionName: spec.name,
      fullName: `${spec.name}.${namespace}`,
      coldStartMs: deps.coldStartMs,
      // Read at each dispatch, so an update's max_inflight applies at once.
      maxInflight: () => fn?.settings.maxInflight ?? Number.POSITIVE_INFINITY,
      // The mode is read as each replica starts; an update that involves HTTP mode restarts them all.
      start: (replica, setReady) =>
        fn?.settings.mode === 'http' ? startServer(fn, replica, setReady) : classic(replica, setReady),
    })
    fn = {
      namespace,
      spec,
      settings,
      createdAt,
      invocationCount: 0,
      replicas,
      secretsDir: join(deps.secretsRoot, namespace, spec.name),
    }
    materialiseSecrets(fn)
    byNamespace.set(namespace, inNamespace(namespace).set(spec.name, fn))
    return fn
  }

  return {
    find,
    get,
    list: (namespace: string) =>
      [...inNamespace(namespace).values()].sort((a, b) => a.spec.name.localeCompare(b.spec.name)),
    count: (namespace: string) => inNamespace(namespace).size,
    all: () => [...byNamespace.values()].flatMap((fns) => [...fns.values()]),

    deploy(namespace: string, spec: FunctionSpec): Promise<void> {
      // Only the default namespace springs into being on first use; any other must be created first,
      // so a typo in a namespace is an error rather than a new namespace.
      const createNamespace = !deps.namespaces.has(namespace)
      if (createNamespace && namespace !== deps.defaultNamespace)
        throw badRequest(`namespace ${namespace} not found`)
      if (find(namespace, spec.name)) {
        throw conflict(`function ${spec.name} already exists in namespace ${namespace}; use PUT to update it`)
      }
      checkSecrets(namespace, spec)
      const settings = readSettings(spec)
      checkPorts(namespace, spec.name, settings, settings.minReplicas)
      if (createNamespace) deps.namespaces.create(namespace, {})
      add(namespace, spec, settings, new Date().toISOString()).replicas.scale(settings.minReplicas)
      return deps.persist()
    },

    update(namespace: string, spec: FunctionSpec): Promise<void> {
      const fn = get(namespace, spec.name)
      checkSecrets(namespace, spec)
      const settings = readSettings(spec)
      const replicas = Math.max(fn.replicas.desired(), settings.minReplicas)
      checkPorts(namespace, spec.name, settings, replicas)
      const restart = fn.settings.mode === 'http' || settings.mode === 'http'
      fn.spec = spec
      fn.settings = settings
      materialiseSecrets(fn)
      // In classic mode each invocation starts a fresh process, so the new spec applies from the next
      // request: the replicas stay, raised to a new scale.min if that is higher; scaling also hands
      // queued requests the slots a larger max_inflight opened. A server (HTTP mode) runs the spec it
      // started with, so its replicas are replaced.
      if (restart) fn.replicas.restart(replicas)
      else fn.replicas.scale(replicas)
      return deps.persist()
    },

    scale(namespace: string, name: string, replicas: number): Promise<void> {
      const fn = get(namespace, name)
      checkPorts(namespace, name, fn.settings, replicas)
      fn.replicas.scale(replicas)
      return deps.persist()
    },

    remove(namespace: string, name: string): Promise<void> {
      const fn = get(namespace, name)
      inNamespace(namespace).delete(name)
      fn.replicas.stop(notFound(`function ${name} was deleted from namespace ${namespace}`))
      deps.logs.drop(namespace, name)
      rmSync(fn.secretsDir, { recursive: true, force: true })
      return deps.persist()
    },

    // After a secret changes, every function in its namespace that declares it sees the new value.
    refreshSecrets(namespace: string, secret: string) {
      for (const fn of inNamespace(namespace).values())
        if (fn.spec.secrets?.includes(secret)) materialiseSecrets(fn)
    },

    // Functions from the state file come back with their desired replicas, each after a cold start.
    restore(stored: readonly StoredFunction[]) {
      for (const { namespace, spec, replicas, createdAt } of stored) {
        if (!deps.namespaces.has(namespace)) deps.namespaces.create(namespace, {})
        add(namespace, spec, readSettings(spec), createdAt).replicas.scale(replicas)
      }
    },

    snapshot(): StoredFunction[] {
      return [...byNamespace.values()].flatMap((fns) =>
        [...fns.values()].map((fn) => ({
          namespace: fn.namespace,
          spec: fn.spec,
          replicas: fn.replicas.desired(),
          createdAt: fn.createdAt,
        })),
      )
    },

    stop(error: Error) {
      for (const fn of [...byNamespace.values()].flatMap((fns) => [...fns.values()])) fn.replicas.stop(error)
    },
  }
}

/**
 * The label faas-netes and faasd give every function, naming its service:
 * Go clients and conformance suites select on it. It is the provider's, not
 * the deployment's, so it is added to each status rather than stored, and a
 * value a deployment sends for it is replaced.
 */
export const FUNCTION_LABEL = 'faas_function'

// The deployment as it was sent (see FunctionDeployment in schemas.ts), plus what the provider knows.
export function functionStatus(fn: DeployedFunction): FunctionStatus {
  const { name, ...spec } = fn.spec
  return {
    name,
    namespace: fn.namespace,
    ...spec,
    labels: { ...spec.labels, [FUNCTION_LABEL]: name },
    invocationCount: fn.invocationCount,
    replicas: fn.replicas.desired(),
    availableReplicas: fn.replicas.available(),
    createdAt: fn.createdAt,
  }
}
