import { type ChildProcess, spawn } from 'node:child_process'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import type { Command } from './sandbox.ts'

// The classic watchdog's process model: one process per request, the request body on stdin, stdout
// collected as the response body (whole, since the exit code decides the status), stderr line by line
// into the function's log.

export type RunResult =
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; seconds: number }
  | { kind: 'timeout'; stdout: Buffer; seconds: number }
  | { kind: 'failed'; error: Error; seconds: number }

export function splitEnvProcess(envProcess: string): string[] {
  return envProcess.split(' ').filter((part) => part !== '')
}

// Go's canonical header form, which is how the classic watchdog names Http_* variables:
// "x-call-id" → "X-Call-Id" → "Http_X_Call_Id".
export function canonicalHeader(name: string): string {
  return name
    .toLowerCase()
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('-')
}

export function watchdogEnv(request: {
  method: string
  path: string
  query: string
  host: string | undefined
  headers: Headers
}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of request.headers)
    env[`Http_${canonicalHeader(name).replaceAll('-', '_')}`] = value
  env.Http_Method = request.method
  env.Http_Path = request.path
  if (request.query !== '') env.Http_Query = request.query
  if (request.host !== undefined) env.Http_Host = request.host
  // Go's Request.ContentLength: the header's value, -1 for a chunked body of unknown length, else 0.
  const chunked = request.headers.has('transfer-encoding')
  env.Http_Content_Length = request.headers.get('content-length') ?? (chunked ? '-1' : '0')
  return env
}

export type ProcessTable = ReturnType<typeof createProcessTable>

// Every process one provider has started and not yet seen exit, so its shutdown can kill them.
export function createProcessTable() {
  const running = new Set<ChildProcess>()
  return {
    run: (options: RunOptions) => runProcess(running, options),
    count: () => running.size,
    // Kills every running function process and resolves once they have all exited.
    async killAll(): Promise<void> {
      const exits = [...running].map(
        (child) => new Promise<void>((resolve) => child.once('close', () => resolve())),
      )
      for (const child of running) killGroup(child)
      await Promise.all(exits)
    },
  }
}

type RunOptions = {
  command: Command
  env: Record<string, string>
  stdin: ReadableStream<Uint8Array> | null
  timeoutMs: number
  onStderrLine: (line: string) => void
}

function runProcess(running: Set<ChildProcess>, options: RunOptions): Promise<RunResult> {
  const started = process.hrtime.bigint()
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9
  return new Promise((resolve) => {
    const { file, args } = options.command
    let child: ChildProcess
    try {
      // Detached: the process leads its own process group, so a timeout or shutdown kills whatever it
      // forked too, and Ctrl-C in the provider's terminal reaches only the provider.
      child = spawn(file, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
    } catch (error) {
      resolve({ kind: 'failed', error: error as Error, seconds: seconds() })
      return
    }
    running.add(child)
    const stdout: Buffer[] = []
    let timedOut = false
    let settled = false
    const finish = (result: RunResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      running.delete(child)
      resolve(result)
    }
    const timer =
      options.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true
            killGroup(child)
          }, options.timeoutMs)
        : undefined

    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk))
    forEachLine(child.stderr, options.onStderrLine)
    child.on('error', (error) => {
      // A process that never started has no 'close' to wait for.
      if (child.pid === undefined) finish({ kind: 'failed', error, seconds: seconds() })
    })
    child.on('close', (code, signal) => {
      const output = Buffer.concat(stdout)
      if (timedOut) finish({ kind: 'timeout', stdout: output, seconds: seconds() })
      else finish({ kind: 'exited', code, signal, stdout: output, seconds: seconds() })
    })

    // A program that doesn't read its input closes stdin early (EPIPE): that is not an error.
    const stdinPipe = child.stdin
    if (stdinPipe === null) return
    stdinPipe.on('error', () => {})
    if (options.stdin === null) stdinPipe.end()
    else pipeline(Readable.fromWeb(options.stdin as WebReadableStream<Uint8Array>), stdinPipe).catch(() => {})
  })
}

function killGroup(child: ChildProcess) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    child.kill('SIGKILL')
  }
}

export function forEachLine(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void) {
  if (stream === null) return
  let rest = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) onLine(line.replace(/\r$/, ''))
  })
  stream.on('end', () => {
    if (rest !== '') onLine(rest)
  })
}
