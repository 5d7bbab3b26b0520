import { describe, expect, it } from 'vitest'
import { ProviderInfo } from '../../src/schemas/openfaas.ts'
import { type Call, expectManagementContract, strict } from '../shared/contract.ts'
import { startTestProvider } from './helpers.ts'

describe('the dev provider speaks the contract types', () => {
  it('in every management response', async () => {
    const p = await startTestProvider()
    const call: Call = (method, path, body) =>
      fetch(`${p.url}${path}`, {
        method,
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      })
    await expectManagementContract(call, 'contract')
  })

  it('in /system/info: sha and release always, commit_message only when there is one', async () => {
    const p = await startTestProvider()
    const info = strict(ProviderInfo).parse(await (await fetch(`${p.url}/system/info`)).json())
    expect(info.version).toMatchObject({ sha: expect.any(String), release: expect.any(String) })
    expect(info.version?.commit_message).not.toBe('')
  })
})
