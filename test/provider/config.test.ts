import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { configFromCli } from '../../provider/src/config.ts'
import { startProvider } from '../../provider/src/provider.ts'
import { fixture, isAlive, pidsIn, request, tempDir, waitFor } from './helpers.ts'

const main = fileURLToPath(new URL('../../provider/src/main.ts', import.meta.url))

describe('configuration from the command line and environment', () => {
  it('has the documented defaults', () => {
    expect(configFromCli([], {})).toEqual({
      port: 8081,
      stateDir: resolve('.edgefaas'),
      coldStartMs: 1000,
      defaultNamespace: 'openfaas-fn',
      secretsMode: 'auto',
      logLines: 1000,
    })
  })

  it('reads the environment, and flags win over it', () => {
    const env = {
      PORT: '9000',
      EDGEFAAS_STATE_DIR: '/tmp/s',
      EDGEFAAS_COLD_START_MS: '5',
      EDGEFAAS_SECRETS_MODE: 'directory',
    }
    expect(configFromCli([], env)).toMatchObject({
      port: 9000,
      stateDir: '/tmp/s',
      coldStartMs: 5,
      secretsMode: 'directory',
    })
    expect(
      configFromCli(['--port', '9001', '--cold-start-ms=0', '--default-namespace', 'fn'], env),
    ).toMatchObject({
      port: 9001,
      coldStartMs: 0,
      defaultNamespace: 'fn',
    })
    expect(configFromCli(['--help'], {})).toBe('help')
  })

  it('fails loudly, naming the bad setting', () => {
    expect(() => configFromCli(['--port', 'http'], {})).toThrow(/--port \/ PORT = "http"/)
    expect(() => configFromCli([], { PORT: '70000' })).toThrow(/--port \/ PORT = 70000/)
    expect(() => configFromCli(['--cold-start-ms', '-5'], {})).toThrow(/--cold-start-ms/)
    expect(() => configFromCli(['--secrets-mode', 'magic'], {})).toThrow(
      /--secrets-mode \/ EDGEFAAS_SECRETS_MODE/,
    )
    expect(() => configFromCli(['--default-namespace', 'Bad_NS'], {})).toThrow(/--default-namespace/)
    expect(() => configFromCli(['--bogus'], {})).toThrow(/bogus/)
  })

  it('validates startProvider options the same way', async () => {
    await expect(startProvider({ port: -1, log: () => {} })).rejects.toThrow(/invalid provider options: port/)
    await expect(startProvider({ coldStartMs: 1.5, log: () => {} })).rejects.toThrow(/coldStartMs/)
  })

  it('fails to start on a port that is taken', async () => {
    const blocker = createServer()
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done))
    const { port } = blocker.address() as { port: number }
    try {
      await expect(startProvider({ port, stateDir: tempDir(), log: () => {} })).rejects.toThrow(/EADDRINUSE/)
    } finally {
      blocker.close()
    }
  })
})

describe('main.ts as a process', () => {
  function start(args: string[]): {
    child: ChildProcess
    output: () => string
    exited: Promise<number | null>
  } {
    const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', main, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString()
    })
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString()
    })
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)))
    return { child, output: () => output, exited }
  }

  it('exits 2 with a message naming a bad setting', async () => {
    const run = start(['--port', 'eighty'])
    expect(await run.exited).toBe(2)
    expect(run.output()).toMatch(/--port \/ PORT = "eighty"/)
    expect(run.output()).toContain('Usage:')
  })

  it('serves, and on SIGTERM stops cleanly, killing running function processes', async () => {
    const stateDir = tempDir()
    const pidDir = tempDir()
    const run = start([
      '--port',
      '0',
      '--state-dir',
      stateDir,
      '--cold-start-ms',
      '0',
      '--secrets-mode',
      'directory',
    ])
    try {
      await waitFor(
        () => /listening on http:\/\/127\.0\.0\.1:\d+/.test(run.output()),
        'the provider to listen',
      )
      expect(run.output()).toContain('secrets: directory mode')
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(run.output())?.[1] as string
      expect((await request(url, 'GET', '/healthz')).text).toBe('OK')
      const deployed = await request(url, 'POST', '/system/functions', {
        service: 'slow',
        image: 'x',
        envProcess: fixture('slow.sh'),
        envVars: { PID_DIR: pidDir },
      })
      expect(deployed.status).toBe(202)
      await waitFor(
        async () =>
          (await request(url, 'GET', '/system/function/slow')).json<{ availableReplicas: number }>()
            .availableReplicas === 1,
        'slow to be ready',
      )
      const pending = request(url, 'GET', '/function/slow').catch((e: Error) => e)
      await waitFor(() => pidsIn(pidDir).length === 1, 'the function process to start')

      run.child.kill('SIGTERM')
      expect(await run.exited).toBe(0)
      await pending
      for (const pid of pidsIn(pidDir)[0] ?? []) await waitFor(() => !isAlive(pid), `process ${pid} to die`)
    } finally {
      run.child.kill('SIGKILL')
    }
  })
})
