import type { HttpBindings } from '@hono/node-server'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import { type Context, Hono } from 'hono'
import type { AppDeps } from '../deps.ts'
import { notImplemented } from '../errors.ts'
import type { DeployedFunction } from '../functions.ts'
import { proxy } from '../proxy.ts'
import type { Replica } from '../replicas.ts'
import type { ReplicaServer } from '../servers.ts'
import { functionOf, splitInvocation } from '../target.ts'
import { type RunResult, splitEnvProcess, watchdogEnv } from '../watchdog.ts'

// /function/{name}[.{namespace}][/{rest}], any method: one process per request, the classic watchdog way,
// or in HTTP mode, a call proxied to one of the function's running servers.
export function invokeRoutes(deps: AppDeps) {
  const app = new Hono()

  async function invoke(c: Context) {
    const target = c.req.param('target') ?? ''
    const { name, namespace } = functionOf(target, deps.defaultNamespace)
    const fn = deps.functions.get(namespace, name)

    const replica = await fn.replicas.acquire(c.req.raw.signal).catch((error: unknown) => {
      // The caller left while queued: nobody is there to read an answer.
      if (c.req.raw.signal.aborted) return undefined
      throw error
    })
    if (replica === undefined) return new Response(null, { status: 499 })
    if (replica.server !== undefined) return forward(c, fn, replica, replica.server)
    try {
      return await run(c, fn, replica, target)
    } finally {
      fn.replicas.release(replica)
    }
  }

  // HTTP mode. The call streams through Node's own request and response, untouched by the fetch API
  // (which would buffer or re-chunk), and holds the replica's slot until the response is over.
  function forward(c: Context, fn: DeployedFunction, replica: Replica, server: ReplicaServer) {
    const { incoming, outgoing } = c.env as HttpBindings
    fn.invocationCount++
    proxy({
      incoming,
      outgoing,
      server,
      path: splitInvocation(incoming.url ?? '')?.rest ?? '/',
      timeoutMs: fn.settings.execTimeoutMs,
      fullName: `${fn.spec.name}.${fn.namespace}`,
      replica: replica.name,
      log: (text) => deps.logs.append(fn.namespace, fn.spec.name, replica.name, text),
      done: () => fn.replicas.release(replica),
    })
    return RESPONSE_ALREADY_SENT
  }

  async function run(c: Context, fn: DeployedFunction, replica: Replica, target: string) {
    const argv = splitEnvProcess(fn.spec.envProcess ?? '')
    if (argv.length === 0) {
      throw notImplemented(
        `function ${fn.spec.name}.${fn.namespace} has no envProcess: the dev provider runs each request as a ` +
          'process and has nothing to start (redeploy with envProcess / fprocess set)',
      )
    }
    const log = (text: string) => deps.logs.append(fn.namespace, fn.spec.name, replica.name, text)
    const url = new URL(c.req.url)
    const request = c.req.raw
    const command = deps.sandbox.wrap(argv, fn.secretsDir)
    const env = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      ...fn.spec.envVars,
      ...command.env,
      ...watchdogEnv({
        method: request.method,
        path: url.pathname.slice(`/function/${target}`.length) || '/',
        query: url.search.slice(1),
        host: request.headers.get('host') ?? undefined,
        headers: request.headers,
      }),
    }

    fn.invocationCount++
    log('Forking fprocess.')
    const result = await deps.processes.run({
      command,
      env,
      stdin: request.body,
      timeoutMs: fn.settings.execTimeoutMs,
      onStderrLine: log,
    })
    const duration = result.seconds.toFixed(6)
    const headers = { 'X-Duration-Seconds': duration }
    const outcome = describe(result, fn.settings.execTimeoutMs)
    if (outcome === undefined && result.kind === 'exited') {
      log(`Wrote ${result.stdout.length} Bytes - Duration: ${duration}s`)
      // The watchdog's content_type variable wins; otherwise the request's type is echoed.
      const type = fn.spec.envVars?.content_type ?? request.headers.get('content-type')
      return c.body(new Uint8Array(result.stdout), 200, type ? { ...headers, 'Content-Type': type } : headers)
    }
    log(outcome ?? 'unknown failure')
    const output = result.kind === 'failed' ? '' : result.stdout.toString('utf8')
    return c.text(`${outcome}\n${output}`, result.kind === 'timeout' ? 408 : 500, headers)
  }

  app.all('/function/:target', invoke)
  app.all('/function/:target/*', invoke)
  return app
}

// What went wrong, or undefined when the process exited 0.
function describe(result: RunResult, timeoutMs: number): string | undefined {
  switch (result.kind) {
    case 'timeout':
      return `Killed process: exec_timeout of ${formatMs(timeoutMs)} exceeded`
    case 'failed':
      return `cannot start the function's process: ${result.error.message}`
    case 'exited':
      if (result.signal !== null) return `signal: ${result.signal}`
      return result.code === 0 ? undefined : `exit status ${result.code}`
  }
}

const formatMs = (ms: number) => (ms < 1000 ? `${ms}ms` : `${ms / 1000}s`)
