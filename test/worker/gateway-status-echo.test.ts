import { env } from 'cloudflare:workers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deploymentBody, deployments, ECHO_SECRET, expectEcho, updates } from '../shared/status-echo'
import { gatewayWith } from './helpers'

// The gateway in workerd in front of the real dev provider: statuses reach the caller as the provider
// wrote them, so a field left out of a deployment is still left out at the end of the chain.
const devEnv = env as unknown as { DEV_PROVIDER_URL: string }
const call = (path: string, init?: RequestInit) =>
  gatewayWith({ FUNCTIONS_PROVIDER_URL: devEnv.DEV_PROVIDER_URL }, path, init)
const send = (method: string, path: string, body: unknown) =>
  call(path, { method, body: JSON.stringify(body) })

// A namespace of its own, so other test files sharing the dev provider see none of these functions.
const NAMESPACE = 'status-echo'

async function expectAllEchoed(rows: { service: string }[]) {
  for (const row of rows) {
    const res = await call(`/system/function/${row.service}?namespace=${NAMESPACE}`)
    expect(res.status, row.service).toBe(200)
    expectEcho(await res.json(), row, NAMESPACE)
  }
  const res = await call(`/system/functions?namespace=${NAMESPACE}`)
  expect(res.status).toBe(200)
  const list = (await res.json()) as { name: string }[]
  expect(list.map((f) => f.name).sort()).toEqual(rows.map((r) => r.service).sort())
  for (const row of rows) {
    expectEcho(
      list.find((f) => f.name === row.service),
      row,
      NAMESPACE,
    )
  }
}

describe('end to end: a function status echoes its deployment', () => {
  beforeAll(async () => {
    expect((await send('POST', `/system/namespace/${NAMESPACE}`, {})).status).toBe(201)
    const secret = await send('POST', '/system/secrets', {
      name: ECHO_SECRET,
      value: 'v',
      namespace: NAMESPACE,
    })
    expect(secret.status).toBe(201)
  })

  afterAll(async () => {
    for (const { service } of deployments) {
      await send('DELETE', '/system/functions', { functionName: service, namespace: NAMESPACE })
    }
    await call(`/system/namespace/${NAMESPACE}`, { method: 'DELETE' })
  })

  it('deployed through the gateway, read back through it, in the list and the single view', async () => {
    for (const row of deployments) {
      const res = await send('POST', '/system/functions', deploymentBody(row, NAMESPACE))
      expect(res.status, `${row.service}: ${await res.text()}`).toBe(202)
    }
    await expectAllEchoed(deployments)
  })

  it('after an update through the gateway', async () => {
    const updated = updates()
    for (const row of updated) {
      const res = await send('PUT', '/system/functions', deploymentBody(row, NAMESPACE))
      expect(res.status, `${row.service}: ${await res.text()}`).toBe(202)
    }
    await expectAllEchoed(updated)
  })
})
