import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import * as z from 'zod/mini'
import { GatewayInfo, ProviderInfo, VersionInfo } from '../../src/schemas/openfaas'
import { type Call, expectManagementContract, strict } from '../shared/contract'
import { gatewayWith } from './helpers'

// The gateway in workerd in front of the real dev provider.
const devEnv = env as unknown as { DEV_PROVIDER_URL: string }
const call: Call = (method, path, body) =>
  gatewayWith({ FUNCTIONS_PROVIDER_URL: devEnv.DEV_PROVIDER_URL }, path, {
    method,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })

describe('end to end: the gateway speaks the contract types', () => {
  it('in every management response', async () => {
    await expectManagementContract(call, 'contract-gw')
  })

  it('in /system/info, which it builds itself', async () => {
    const res = await call('GET', '/system/info')
    expect(res.status).toBe(200)
    const info = strict(
      z.extend(GatewayInfo, { provider: strict(ProviderInfo), version: strict(VersionInfo) }),
    ).parse(await res.json())
    expect(info.provider.provider).toBe('edgefaas-dev-provider')
    for (const version of [info.version, info.provider.version]) {
      expect(version).toMatchObject({ sha: expect.any(String), release: expect.any(String) })
      expect(version?.commit_message).not.toBe('')
    }
  })
})
