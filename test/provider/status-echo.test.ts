import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { deploymentBody, deployments, ECHO_SECRET, expectEcho, updates } from '../shared/status-echo.ts'
import { startTestProvider, type TestProvider, tempDir } from './helpers.ts'

const NAMESPACE = 'openfaas-fn'

// Every row read back one by one and in the list, each exactly as deployed.
async function expectAllEchoed(p: TestProvider, rows: { service: string }[]) {
  for (const row of rows) {
    const res = await p.request('GET', `/system/function/${row.service}`)
    expect(res.status, res.text).toBe(200)
    expectEcho(res.json(), row, NAMESPACE)
  }
  const list = (await p.request('GET', '/system/functions')).json<{ name: string }[]>()
  expect(list.map((f) => f.name).sort()).toEqual(rows.map((r) => r.service).sort())
  for (const row of rows) {
    expectEcho(
      list.find((f) => f.name === row.service),
      row,
      NAMESPACE,
    )
  }
}

describe('a function status echoes its deployment', () => {
  it('after deploy, update and restart, in the list and the single view', async () => {
    const stateDir = tempDir()
    const first = await startTestProvider({ stateDir })
    expect((await first.request('POST', '/system/secrets', { name: ECHO_SECRET, value: 'v' })).status).toBe(
      201,
    )
    for (const row of deployments) {
      const res = await first.request('POST', '/system/functions', deploymentBody(row))
      expect(res.status, `${row.service}: ${res.text}`).toBe(202)
    }
    await expectAllEchoed(first, deployments)
    await first.close()

    const second = await startTestProvider({ stateDir })
    await expectAllEchoed(second, deployments)
    const updated = updates()
    for (const row of updated) {
      const res = await second.request('PUT', '/system/functions', deploymentBody(row))
      expect(res.status, `${row.service}: ${res.text}`).toBe(202)
    }
    await expectAllEchoed(second, updated)
    await second.close()

    const third = await startTestProvider({ stateDir })
    await expectAllEchoed(third, updated)
  })

  it('labels every function faas_function=<name>, as faas-netes and faasd do, without storing it', async () => {
    const stateDir = tempDir()
    const p = await startTestProvider({ stateDir })
    const labelsOf = async (name: string) =>
      (await p.request('GET', `/system/function/${name}`)).json<{ labels?: Record<string, string> }>().labels
    const deploy = (method: 'POST' | 'PUT', body: Record<string, unknown>) =>
      p.request(method, '/system/functions', { image: 'example/echo:1', ...body })
    expect((await deploy('POST', { service: 'plain' })).status).toBe(202)
    expect(await labelsOf('plain')).toEqual({ faas_function: 'plain' })
    expect(
      (await deploy('POST', { service: 'mine', labels: { faas_function: 'other', team: 'a' } })).status,
    ).toBe(202)
    expect(await labelsOf('mine')).toEqual({ faas_function: 'mine', team: 'a' })
    // An update that sends no labels removes the deployment's, never the provider's own.
    expect((await deploy('PUT', { service: 'mine' })).status).toBe(202)
    expect(await labelsOf('mine')).toEqual({ faas_function: 'mine' })
    await p.close()
    const stored = readFileSync(join(stateDir, 'state.json'), 'utf8')
    expect(stored).not.toContain('faas_function')
  })
})
