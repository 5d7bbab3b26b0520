import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  deploy,
  fixture,
  startTestProvider,
  status,
  type TestProvider,
  tempDir,
  waitFor,
  waitForReady,
} from './helpers.ts'

describe('replicas that are still starting', () => {
  // A cold start far longer than any test: every replica here stays "starting".
  let p: TestProvider
  beforeAll(async () => {
    p = await startTestProvider({ coldStartMs: 600_000 })
  })

  it('reports desired replicas at once and none available', async () => {
    await deploy(p, { service: 'cold', envProcess: 'cat', labels: { 'com.openfaas.scale.min': '2' } }, false)
    expect(await status(p, 'cold')).toMatchObject({ replicas: 2, availableReplicas: 0 })
  })

  it('answers 503 until a replica is ready', async () => {
    const res = await p.request('GET', '/function/cold')
    expect(res.status).toBe(503)
    expect(res.text).toContain('no ready replicas yet')
  })
})

describe('replica availability', () => {
  let p: TestProvider
  beforeAll(async () => {
    p = await startTestProvider({ coldStartMs: 20 })
  })

  it('makes replicas available after the cold start', async () => {
    await deploy(p, { service: 'warm', envProcess: 'cat' }, false)
    expect((await status(p, 'warm')).replicas).toBe(1)
    await waitForReady(p, 'warm')
    expect((await p.request('POST', '/function/warm', 'hi')).text).toBe('hi')
  })

  it('answers 503 when scaled to zero, and serves again once scaled up and ready', async () => {
    await deploy(p, { service: 'zero', envProcess: 'cat' })
    await p.request('POST', '/system/scale-function/zero', { replicas: 0 })
    expect(await status(p, 'zero')).toMatchObject({ replicas: 0, availableReplicas: 0 })
    const res = await p.request('POST', '/function/zero', 'x')
    expect(res.status).toBe(503)
    expect(res.text).toContain('function zero.openfaas-fn is scaled to zero')

    await p.request('POST', '/system/scale-function/zero', { replicas: 2 })
    expect((await status(p, 'zero')).replicas).toBe(2)
    await waitForReady(p, 'zero', undefined, 2)
    expect((await p.request('POST', '/function/zero', 'back')).text).toBe('back')
  })

  it('scales down to the requested count', async () => {
    await deploy(p, { service: 'down', envProcess: 'cat', labels: { 'com.openfaas.scale.min': '3' } })
    await p.request('POST', '/system/scale-function/down', { replicas: 1 })
    expect(await status(p, 'down')).toMatchObject({ replicas: 1, availableReplicas: 1 })
  })

  it('spreads requests over replicas, each a log instance', async () => {
    await deploy(p, { service: 'instances', envProcess: 'true', labels: { 'com.openfaas.scale.min': '2' } })
    for (let i = 0; i < 6; i++) await p.request('GET', '/function/instances')
    const res = await p.request('GET', '/system/logs?name=instances')
    const instances = new Set(
      res.text
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { instance: string }).instance),
    )
    expect(instances.size).toBe(2)
    for (const instance of instances) expect(instance).toMatch(/^instances-[0-9a-f]{6}$/)
  })
})

describe('max_inflight', () => {
  let p: TestProvider
  let blockDir: string
  const started = () => readdirSync(blockDir).filter((f) => f.startsWith('started.')).length
  const release = () => writeFileSync(join(blockDir, 'release'), '')

  beforeAll(async () => {
    p = await startTestProvider({ coldStartMs: 10 })
    blockDir = tempDir()
    await deploy(p, {
      service: 'gate',
      envProcess: fixture('block.sh'),
      envVars: { max_inflight: '1', BLOCK_DIR: blockDir },
    })
  })

  beforeEach(async () => {
    for (const f of readdirSync(blockDir)) rmSync(join(blockDir, f))
    await p.request('POST', '/system/scale-function/gate', { replicas: 1 })
    await waitForReady(p, 'gate', undefined, 1)
  })

  it('queues requests beyond replicas × max_inflight until a slot frees', async () => {
    const first = p.request('GET', '/function/gate')
    const second = p.request('GET', '/function/gate')
    await waitFor(() => started() === 1 && p.stats().queued === 1, 'one running, one queued')
    expect(p.stats().processes).toBe(1)
    release()
    const results = await Promise.all([first, second])
    expect(results.map((r) => [r.status, r.text])).toEqual([
      [200, 'released\n'],
      [200, 'released\n'],
    ])
    expect(started()).toBe(2)
  })

  it('runs more at once with more replicas', async () => {
    await p.request('POST', '/system/scale-function/gate', { replicas: 2 })
    await waitForReady(p, 'gate', undefined, 2)
    const calls = [
      p.request('GET', '/function/gate'),
      p.request('GET', '/function/gate'),
      p.request('GET', '/function/gate'),
    ]
    await waitFor(() => started() === 2 && p.stats().queued === 1, 'two running, one queued')
    release()
    expect((await Promise.all(calls)).map((r) => r.status)).toEqual([200, 200, 200])
  })

  it('answers queued requests 503 when the function is scaled to zero', async () => {
    const running = p.request('GET', '/function/gate')
    const queued = p.request('GET', '/function/gate')
    await waitFor(() => started() === 1 && p.stats().queued === 1, 'one running, one queued')
    await p.request('POST', '/system/scale-function/gate', { replicas: 0 })
    const rejected = await queued
    expect(rejected.status).toBe(503)
    expect(rejected.text).toContain('scaled to zero')
    // A process already running on a removed replica finishes.
    release()
    expect((await running).status).toBe(200)
  })

  it('drops a queued request whose client went away', async () => {
    const running = p.request('GET', '/function/gate')
    const abort = new AbortController()
    const gone = fetch(`${p.url}/function/gate`, { signal: abort.signal }).catch((e: Error) => e.name)
    await waitFor(() => started() === 1 && p.stats().queued === 1, 'one running, one queued')
    abort.abort()
    expect(await gone).toBe('AbortError')
    await waitFor(() => p.stats().queued === 0, 'the queue to empty')
    release()
    expect((await running).status).toBe(200)
    expect(started()).toBe(1)
    expect(existsSync(join(blockDir, 'release'))).toBe(true)
  })
})
