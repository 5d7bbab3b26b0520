import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startProvider } from '../../provider/src/provider.ts'
import { deploy, fixture, startTestProvider, status, tempDir, waitForReady } from './helpers.ts'

describe('state across restarts', () => {
  it('brings functions, namespaces and secrets back after a restart', async () => {
    const stateDir = tempDir()
    const first = await startTestProvider({ stateDir, secretsMode: 'directory' })
    await first.request('POST', '/system/namespace/team', { labels: { openfaas: '1' } })
    await first.request('POST', '/system/secrets', { name: 'token', value: 'kept', namespace: 'team' })
    await deploy(first, {
      service: 'reader',
      namespace: 'team',
      envProcess: fixture('read-secrets.sh'),
      secrets: ['token'],
      labels: { app: 'x' },
    })
    await first.request('POST', '/system/scale-function/reader', { replicas: 3, namespace: 'team' })
    await deploy(first, { service: 'plain', envProcess: 'cat' })
    await first.request('POST', '/system/scale-function/plain', { replicas: 0 })
    expect((await first.request('GET', '/function/reader.team')).text).toBe('token=kept\n')
    const before = await status(first, 'reader', 'team')
    await first.close()

    for (const file of ['state.json', 'secrets.json']) {
      expect(statSync(join(stateDir, file)).mode & 0o777, file).toBe(0o600)
    }
    // Atomic writes leave no temporary files behind.
    expect(readdirSync(stateDir).sort()).toEqual(['secrets.json', 'state.json'])

    const second = await startTestProvider({ stateDir, secretsMode: 'directory' })
    expect((await second.request('GET', '/system/namespaces')).json()).toEqual(['openfaas-fn', 'team'])
    expect((await second.request('GET', '/system/namespace/team')).json()).toMatchObject({
      labels: { openfaas: '1' },
    })
    expect((await second.request('GET', '/system/secrets?namespace=team')).json()).toEqual([
      { name: 'token', namespace: 'team' },
    ])
    const after = await status(second, 'reader', 'team')
    expect(after).toMatchObject({
      name: 'reader',
      image: before.image,
      labels: { app: 'x' },
      secrets: ['token'],
      replicas: 3,
      createdAt: before.createdAt,
      invocationCount: 0,
    })
    await waitForReady(second, 'reader', 'team', 3)
    expect((await second.request('GET', '/function/reader.team')).text).toBe('token=kept\n')
    expect(await status(second, 'plain')).toMatchObject({ replicas: 0, availableReplicas: 0 })
    await second.close()
  })

  it('comes back with replicas that need their cold start first', async () => {
    const stateDir = tempDir()
    const first = await startTestProvider({ stateDir })
    await deploy(first, { service: 'slowstart', envProcess: 'cat' })
    await first.close()
    const second = await startTestProvider({ stateDir, coldStartMs: 600_000 })
    expect(await status(second, 'slowstart')).toMatchObject({ replicas: 1, availableReplicas: 0 })
    expect((await second.request('GET', '/function/slowstart')).status).toBe(503)
  })

  it('refuses to start on a corrupt state file, naming it', async () => {
    const stateDir = tempDir()
    writeFileSync(
      join(stateDir, 'state.json'),
      '{"version": 1, "namespaces": {}, "functions": [{"namespace": 3}]}',
    )
    await expect(startProvider({ port: 0, stateDir, log: () => {} })).rejects.toThrow(
      /state\.json is not a valid state file/,
    )
    writeFileSync(join(stateDir, 'state.json'), '{ not json')
    await expect(startProvider({ port: 0, stateDir, log: () => {} })).rejects.toThrow(
      /state\.json is not valid JSON/,
    )
  })

  it('creates the state directory and the default namespace on first start', async () => {
    const stateDir = join(tempDir(), 'nested', 'state')
    const p = await startTestProvider({ stateDir })
    expect(existsSync(join(stateDir, 'state.json'))).toBe(true)
    expect(JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8'))).toMatchObject({
      namespaces: { 'openfaas-fn': {} },
      functions: [],
    })
    await p.close()
  })
})
