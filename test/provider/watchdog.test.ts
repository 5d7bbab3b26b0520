import { beforeAll, describe, expect, it } from 'vitest'
import {
  deploy,
  fixture,
  isAlive,
  logs,
  pidsIn,
  startTestProvider,
  status,
  tempDir,
  waitFor,
} from './helpers.ts'

// The classic watchdog process model, with real processes.
const p = await startTestProvider({ secretsMode: 'directory' })

function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  )
}

describe('watchdog', () => {
  beforeAll(async () => {
    await deploy(p, {
      service: 'env',
      envProcess: 'env',
      envVars: { greeting: 'hello', exec_timeout: '10s' },
    })
    await deploy(p, { service: 'cat', envProcess: 'cat' })
    await deploy(p, { service: 'wc', envProcess: 'wc -w' })
  })

  it('passes envVars and the request as Http_* variables', async () => {
    const res = await p.request('POST', '/function/env/some/path?a=1&b=two', 'body!', {
      'Content-Type': 'text/plain',
      'X-Call-Id': 'call-123',
      'x-lower-case': 'yes',
    })
    expect(res.status).toBe(200)
    const env = parseEnv(res.text)
    expect(env.greeting).toBe('hello')
    expect(env.Http_Method).toBe('POST')
    expect(env.Http_Path).toBe('/some/path')
    expect(env.Http_Query).toBe('a=1&b=two')
    expect(env.Http_Host).toBe(`127.0.0.1:${p.port}`)
    expect(env.Http_Content_Length).toBe('5')
    expect(env.Http_Content_Type).toBe('text/plain')
    expect(env.Http_X_Call_Id).toBe('call-123')
    expect(env.Http_X_Lower_Case).toBe('yes')
    expect(env.PATH).toBeTruthy()
    expect(env.secret_mount_path).toBeTruthy()
  })

  it('omits Http_Query without a query and reports the root path', async () => {
    for (const path of ['/function/env', '/function/env/', '/function/env.openfaas-fn']) {
      const res = await p.request('GET', path)
      expect(res.status, path).toBe(200)
      const env = parseEnv(res.text)
      expect(env.Http_Method).toBe('GET')
      expect(env.Http_Path).toBe('/')
      expect(env.Http_Content_Length).toBe('0')
      expect(env).not.toHaveProperty('Http_Query')
    }
  })

  it('does not leak the provider environment', async () => {
    process.env.EDGEFAAS_TEST_LEAK = 'leaked'
    try {
      const env = parseEnv((await p.request('GET', '/function/env')).text)
      expect(env).not.toHaveProperty('EDGEFAAS_TEST_LEAK')
    } finally {
      delete process.env.EDGEFAAS_TEST_LEAK
    }
  })

  it('streams the body to stdin and echoes the content type', async () => {
    const body = 'hello\nworld\u00e9'.repeat(1000)
    const res = await p.request('POST', '/function/cat', body, { 'Content-Type': 'application/x-custom' })
    expect(res.status).toBe(200)
    expect(res.text).toBe(body)
    expect(res.headers.get('content-type')).toBe('application/x-custom')
    expect(Number(res.headers.get('x-duration-seconds'))).toBeGreaterThanOrEqual(0)
  })

  it('passes any method and binary bodies', async () => {
    const bytes = new Uint8Array(256).map((_, i) => i)
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const res = await fetch(`${p.url}/function/cat`, { method, body: bytes })
      expect(res.status, method).toBe(200)
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes)
    }
  })

  it('runs programs with arguments: wc counts words', async () => {
    const res = await p.request('POST', '/function/wc', 'one two three\nfour')
    expect(res.status).toBe(200)
    expect(res.text.trim()).toBe('4')
  })

  it('splits envProcess on spaces without a shell', async () => {
    await deploy(p, { service: 'echo', envProcess: 'echo  $HOME  `id`  ;ok' })
    const res = await p.request('GET', '/function/echo')
    expect(res.text).toBe('$HOME `id` ;ok\n')
  })

  it('counts invocations', async () => {
    await deploy(p, { service: 'counted', envProcess: 'true' })
    for (let i = 0; i < 3; i++) expect((await p.request('GET', '/function/counted')).status).toBe(200)
    expect((await status(p, 'counted')).invocationCount).toBe(3)
  })

  it('logs each call and the process stderr', async () => {
    await deploy(p, { service: 'noisy', envProcess: fixture('stderr.sh') })
    const res = await p.request('POST', '/function/noisy', 'twelve bytes')
    expect(res.status).toBe(200)
    expect(res.text).toBe('twelve bytes')
    const texts = (await logs(p, 'name=noisy')).map((e) => e.text)
    expect(texts[0]).toBe('Forking fprocess.')
    expect(texts).toContain('first stderr line')
    expect(texts).toContain('second stderr line')
    expect(texts.at(-1)).toMatch(/^Wrote 12 Bytes - Duration: \d+\.\d{6}s$/)
  })

  it('answers 500 with the error and output on a non-zero exit', async () => {
    await deploy(p, { service: 'fails', envProcess: fixture('fail.sh') })
    const res = await p.request('GET', '/function/fails')
    expect(res.status).toBe(500)
    expect(res.text).toContain('exit status 3')
    expect(res.text).toContain('partial output')
    const texts = (await logs(p, 'name=fails')).map((e) => e.text)
    expect(texts).toContain('something went wrong')
    expect(texts).toContain('exit status 3')
  })

  it('answers 500 when the program does not exist', async () => {
    await deploy(p, { service: 'missing', envProcess: '/nonexistent/program --flag' })
    const res = await p.request('GET', '/function/missing')
    expect(res.status).toBe(500)
    expect(res.text).toMatch(/ENOENT|not found/)
  })

  it('answers 501 for a function without envProcess', async () => {
    await deploy(p, { service: 'imageonly' })
    const res = await p.request('GET', '/function/imageonly')
    expect(res.status).toBe(501)
    expect(res.text).toContain('no envProcess')
  })

  it('kills a process that exceeds exec_timeout, with its children, and answers 408', async () => {
    const pidDir = tempDir()
    await deploy(p, {
      service: 'slow',
      envProcess: fixture('slow.sh'),
      envVars: { exec_timeout: '1s', PID_DIR: pidDir },
    })
    const res = await p.request('GET', '/function/slow')
    expect(res.status).toBe(408)
    expect(res.text).toContain('exec_timeout of 1s')
    const [pids] = pidsIn(pidDir)
    expect(pids).toHaveLength(2)
    for (const pid of pids ?? []) await waitFor(() => !isAlive(pid), `process ${pid} to die`)
    expect(p.stats().processes).toBe(0)
  })

  it('takes exec_timeout from a label as well', async () => {
    const pidDir = tempDir()
    await deploy(p, {
      service: 'slowlabel',
      envProcess: fixture('slow.sh'),
      envVars: { PID_DIR: pidDir },
      labels: { exec_timeout: '300ms' },
    })
    const res = await p.request('GET', '/function/slowlabel')
    expect(res.status).toBe(408)
    expect(res.text).toContain('exec_timeout of 300ms')
  })

  it('answers 404 for an unknown function and for a name that could never be deployed', async () => {
    expect((await p.request('GET', '/function/nope')).status).toBe(404)
    expect((await p.request('GET', '/function/env.nonamespace')).status).toBe(404)
    for (const path of [
      '/function/bad%20name',
      '/function/UPPER',
      '/function/a..b',
      '/function/.openfaas-fn',
      '/function/echo./x',
      '/function/under_score',
      `/function/${'a'.repeat(64)}`,
    ]) {
      const res = await p.request('GET', path)
      expect(res.status, path).toBe(404)
      expect(res.headers.get('content-type')).toContain('text/plain')
      expect(res.text).toMatch(/not found/)
    }
  })
})
