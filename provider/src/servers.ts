import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { Agent, get } from 'node:http'
import { connect, createServer } from 'node:net'
import type { Command } from './sandbox.ts'
import { forEachLine } from './watchdog.ts'

// HTTP mode (of-watchdog's mode=http): a replica is a long-running server process listening on a port
// of this machine. It counts as ready once it answers, is restarted with a growing delay when it exits
// on its own, and on a scale-down or delete gets SIGTERM, then SIGKILL once write_timeout has passed.

export type ReplicaServer = {
  readonly host: string
  // upstream_url's port, or a free one picked at each (re)start (0 until then).
  port: number
  // Keep-alive connections to the current process, replaced when it restarts.
  agent: Agent
}

export type ServerOptions = {
  command: Command
  // The command as the function's log names it: its envProcess, not the sandbox around it.
  envProcess: string
  // Everything but the port variables, which are added once the port is known.
  env: Record<string, string>
  host: string
  // upstream_url's port, or undefined for a free one.
  port: number | undefined
  readyPath: string | undefined
  stopGraceMs: number
  log: (text: string) => void
  setReady: (ready: boolean) => void
}

const FIRST_RESTART_MS = 500
const MAX_RESTART_MS = 30_000
// A process that ran this long was healthy: if it exits, the restart delay starts over.
const HEALTHY_AFTER_MS = 10_000
const PROBE_EVERY_MS = 25
const PROBE_TIMEOUT_MS = 1000
const SLOW_START_HINT_MS = 10_000

export type ServerPool = ReturnType<typeof createServerPool>

// Every server process one provider runs, so its shutdown can kill them all.
export function createServerPool() {
  const running = new Set<ChildProcess>()
  const stops = new Set<(graceMs: number) => Promise<void>>()
  // The exit of the last process on each fixed port: a replacement waits for it instead of failing to
  // bind while its predecessor is still finishing its calls.
  const portFree = new Map<number, Promise<void>>()

  return {
    start(options: ServerOptions): { server: ReplicaServer; stop: () => Promise<void> } {
      const { server, stop } = startServer(options, running, portFree)
      stops.add(stop)
      return {
        server,
        // A stopped server stays in the pool until it has exited: shutdown may still have to kill it.
        stop: () => stop(options.stopGraceMs).then(() => void stops.delete(stop)),
      }
    },
    count: () => running.size,
    // Kills every server at once (no grace) and resolves when they have exited.
    async killAll(): Promise<void> {
      await Promise.all([...stops].map((stop) => stop(0)))
      stops.clear()
    },
  }
}

function startServer(
  options: ServerOptions,
  running: Set<ChildProcess>,
  portFree: Map<number, Promise<void>>,
) {
  const server: ReplicaServer = { host: options.host, port: options.port ?? 0, agent: newAgent() }
  const { log } = options
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  let stopping = false
  let killTimer: NodeJS.Timeout | undefined
  let restartTimer: NodeJS.Timeout | undefined
  let restartMs = FIRST_RESTART_MS
  let restarts = 0

  async function launch() {
    if (options.port === undefined) server.port = await freePort()
    else await portFree.get(options.port)
    if (stopping) return
    const upstream = `http://${server.host}:${server.port}`
    const env = { ...options.env, PORT: String(server.port), upstream_url: upstream }
    const { file, args } = options.command
    log(`Forking - ${options.envProcess} (upstream_url=${upstream})`)
    const startedAt = Date.now()
    let proc: ChildProcess
    try {
      // Detached: the server leads its own process group, so stopping it stops whatever it forked too,
      // and Ctrl-C in the provider's terminal reaches only the provider.
      proc = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    } catch (error) {
      ended(startedAt, undefined, `cannot start the function's server: ${(error as Error).message}`)
      return
    }
    child = proc
    running.add(proc)
    let done = false
    exited = new Promise((resolve) => {
      const end = (reason: string) => {
        if (done) return
        done = true
        running.delete(proc)
        // Whatever the server forked and left behind would hold its port and its output pipes.
        if (proc.pid !== undefined) signalGroup(proc.pid, 'SIGKILL')
        ended(startedAt, proc.pid, reason)
        resolve()
      }
      proc.on('error', (error) => {
        if (proc.pid === undefined) end(`cannot start the function's server: ${error.message}`)
      })
      proc.on('exit', (code, signal) => end(signal === null ? `exit status ${code}` : `signal: ${signal}`))
    })
    if (options.port !== undefined) portFree.set(options.port, exited)
    forEachLine(proc.stdout, log)
    forEachLine(proc.stderr, log)
    void probe(proc)
  }

  function ended(startedAt: number, pid: number | undefined, reason: string) {
    clearTimeout(killTimer)
    child = undefined
    options.setReady(false)
    server.agent.destroy()
    server.agent = newAgent()
    const ran = ((Date.now() - startedAt) / 1000).toFixed(1)
    const who = pid === undefined ? 'The server' : `Server process ${pid}`
    if (stopping) {
      log(`${who} stopped (${reason}) after ${ran}s`)
      return
    }
    if (Date.now() - startedAt >= HEALTHY_AFTER_MS) restartMs = FIRST_RESTART_MS
    restarts++
    log(`${who} exited (${reason}) after ${ran}s: restart ${restarts} in ${restartMs / 1000}s`)
    restartTimer = setTimeout(relaunch, restartMs)
    restartMs = Math.min(restartMs * 2, MAX_RESTART_MS)
  }

  function relaunch() {
    const at = Date.now()
    launch().catch((error: Error) =>
      ended(at, undefined, `cannot start the function's server: ${error.message}`),
    )
  }

  // Readiness: the ready path answers 2xx, or without one, the port accepts a connection. Checked from
  // each (re)start until it first passes.
  async function probe(proc: ChildProcess) {
    const hintAt = Date.now() + SLOW_START_HINT_MS
    let hinted = false
    while (child === proc && !stopping) {
      if (await check(server, options.readyPath)) {
        if (child !== proc || stopping) return
        log(
          options.readyPath === undefined
            ? `Ready: accepting connections on port ${server.port}`
            : `Ready: GET ${options.readyPath} answered 2xx`,
        )
        options.setReady(true)
        return
      }
      if (!hinted && Date.now() > hintAt) {
        hinted = true
        const what =
          options.readyPath === undefined
            ? 'nothing accepts connections'
            : `GET ${options.readyPath} is not 2xx`
        log(`Not ready after ${SLOW_START_HINT_MS / 1000}s: ${what} on port ${server.port} (listen on $PORT)`)
      }
      await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS))
    }
  }

  // The first stop decides how the server goes; a later one can only make it go at once.
  function stop(graceMs: number): Promise<void> {
    const first = !stopping
    if (first) {
      stopping = true
      clearTimeout(restartTimer)
      options.setReady(false)
      retire(server.agent)
    }
    const proc = child
    if (proc?.pid !== undefined) {
      const pid = proc.pid
      if (graceMs <= 0) {
        clearTimeout(killTimer)
        signalGroup(pid, 'SIGKILL')
      } else if (first) {
        log(`Stopping: SIGTERM to process group ${pid}, SIGKILL after write_timeout of ${graceMs / 1000}s`)
        signalGroup(pid, 'SIGTERM')
        killTimer = setTimeout(() => {
          log(`Server process ${pid} still running after write_timeout of ${graceMs / 1000}s: SIGKILL`)
          signalGroup(pid, 'SIGKILL')
        }, graceMs)
      }
    }
    return exited
  }

  relaunch()
  return { server, stop }
}

const newAgent = () => new Agent({ keepAlive: true })

// A stopping server waits for its open connections to close before it exits, and the agent keeps idle
// ones open: close those now, and each of the others once its call is over.
function retire(agent: Agent) {
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy()
  agent.on('free', (socket) => socket.destroy())
}

function check(server: ReplicaServer, readyPath: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (readyPath === undefined) {
      const socket = connect({ host: server.host, port: server.port, timeout: PROBE_TIMEOUT_MS })
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('timeout', () => socket.destroy())
      socket.once('error', () => resolve(false))
      socket.once('close', () => resolve(false))
      return
    }
    const req = get(
      { host: server.host, port: server.port, path: readyPath, agent: false, timeout: PROBE_TIMEOUT_MS },
      (res) => {
        res.resume()
        resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300)
      },
    )
    req.once('timeout', () => req.destroy())
    req.once('error', () => resolve(false))
    req.once('close', () => resolve(false))
  })
}

// A port nothing listens on right now. Another program could take it before the server binds it; the
// server would then fail, and its restart gets another port.
async function freePort(): Promise<number> {
  const probe = createServer()
  probe.listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const address = probe.address()
  probe.close()
  if (address === null || typeof address === 'string') throw new Error('no free port')
  return address.port
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal)
  } catch {}
}
