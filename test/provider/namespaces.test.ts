import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { FunctionNamespace } from '../../src/schemas/openfaas.ts'
import { strict } from '../shared/contract.ts'
import {
  deploy,
  type FunctionStatus,
  startTestProvider,
  status,
  type TestProvider,
  tempDir,
} from './helpers.ts'

describe('namespaces', () => {
  let p: TestProvider
  beforeAll(async () => {
    p = await startTestProvider()
  })

  it('starts with the default namespace', async () => {
    const res = await p.request('GET', '/system/namespaces')
    expect(res.status).toBe(200)
    expect(res.json()).toEqual(['openfaas-fn'])
    expect((await p.request('GET', '/system/namespace/openfaas-fn')).json()).toStrictEqual({
      name: 'openfaas-fn',
    })
  })

  it('creates, reads, updates and deletes a namespace', async () => {
    const created = await p.request('POST', '/system/namespace/dev', {
      name: 'dev',
      labels: { openfaas: '1' },
      annotations: { owner: 'me' },
    })
    expect(created.status).toBe(201)
    expect((await p.request('GET', '/system/namespaces')).json()).toEqual(['dev', 'openfaas-fn'])
    expect((await p.request('GET', '/system/namespace/dev')).json()).toEqual({
      name: 'dev',
      labels: { openfaas: '1' },
      annotations: { owner: 'me' },
    })
    const updated = await p.request('PUT', '/system/namespace/dev', { labels: { openfaas: '1', tier: 'x' } })
    expect(updated.status).toBe(200)
    expect((await p.request('GET', '/system/namespace/dev')).json()).toStrictEqual({
      name: 'dev',
      labels: { openfaas: '1', tier: 'x' },
    })
    expect((await p.request('DELETE', '/system/namespace/dev')).status).toBe(200)
    expect((await p.request('GET', '/system/namespace/dev')).status).toBe(404)
    expect((await p.request('GET', '/system/namespaces')).json()).toEqual(['openfaas-fn'])
  })

  it('keeps functions of the same name in two namespaces apart', async () => {
    await p.request('POST', '/system/namespace/blue', {})
    await p.request('POST', '/system/namespace/green', {})
    await deploy(p, { service: 'hello', namespace: 'blue', envProcess: 'echo blue' })
    await deploy(p, {
      service: 'hello',
      namespace: 'green',
      envProcess: 'echo green',
      image: 'example/green:1',
    })

    expect((await p.request('GET', '/function/hello.blue')).text).toBe('blue\n')
    expect((await p.request('GET', '/function/hello.green/sub/path')).text).toBe('green\n')
    expect((await p.request('GET', '/function/hello')).status).toBe(404)

    const blue = (await p.request('GET', '/system/functions?namespace=blue')).json<FunctionStatus[]>()
    expect(blue.map((f) => [f.name, f.namespace, f.envProcess])).toEqual([['hello', 'blue', 'echo blue']])
    expect((await status(p, 'hello', 'green')).image).toBe('example/green:1')

    await p.request('POST', '/system/scale-function/hello', { replicas: 0, namespace: 'blue' })
    expect((await status(p, 'hello', 'blue')).replicas).toBe(0)
    expect((await status(p, 'hello', 'green')).replicas).toBe(1)
    expect((await p.request('GET', '/function/hello.green')).status).toBe(200)

    expect(
      (await p.request('DELETE', '/system/functions', { functionName: 'hello', namespace: 'blue' })).status,
    ).toBe(202)
    expect((await p.request('GET', '/system/function/hello?namespace=blue')).status).toBe(404)
    expect((await status(p, 'hello', 'green')).name).toBe('hello')
  })

  it('takes the namespace from ?namespace= when the body names none', async () => {
    await p.request('POST', '/system/namespace/query', {})
    expect(
      (
        await p.request('POST', '/system/functions?namespace=query', {
          service: 'q',
          image: 'x',
          envProcess: 'cat',
        })
      ).status,
    ).toBe(202)
    expect((await status(p, 'q', 'query')).namespace).toBe('query')
  })

  it('refuses to delete a namespace that still has functions', async () => {
    await p.request('POST', '/system/namespace/busy', {})
    await deploy(p, { service: 'tenant', namespace: 'busy', envProcess: 'cat' })
    const res = await p.request('DELETE', '/system/namespace/busy')
    expect(res.status).toBe(409)
    expect(res.text).toContain('namespace busy still has 1 function')
    expect((await p.request('GET', '/system/namespace/busy')).status).toBe(200)
    await p.request('DELETE', '/system/functions', { functionName: 'tenant', namespace: 'busy' })
    expect((await p.request('DELETE', '/system/namespace/busy')).status).toBe(200)
  })

  it('deletes a namespace together with its secrets', async () => {
    await p.request('POST', '/system/namespace/secretive', {})
    await p.request('POST', '/system/secrets', { name: 'token', value: 'x', namespace: 'secretive' })
    expect((await p.request('DELETE', '/system/namespace/secretive')).status).toBe(200)
    await p.request('POST', '/system/namespace/secretive', {})
    expect((await p.request('GET', '/system/secrets?namespace=secretive')).json()).toEqual([])
  })

  describe('bad namespace requests change nothing', () => {
    let snapshot: () => Promise<string>
    beforeAll(async () => {
      await p.request('POST', '/system/namespace/kept', { labels: { a: 'b' } })
      snapshot = async () =>
        JSON.stringify({
          namespaces: (await p.request('GET', '/system/namespaces')).json<string[]>(),
          kept: (await p.request('GET', '/system/namespace/kept')).json<unknown>(),
          state: readFileSync(join(p.stateDir, 'state.json'), 'utf8'),
        })
    })

    const cases: [string, string, string, unknown, number, RegExp][] = [
      ['create existing', 'POST', '/system/namespace/kept', {}, 409, /namespace kept already exists/],
      ['create uppercase', 'POST', '/system/namespace/Bad', {}, 400, /namespace name/],
      ['create dotted', 'POST', '/system/namespace/a.b', {}, 400, /namespace name/],
      ['create long', 'POST', `/system/namespace/${'n'.repeat(64)}`, {}, 400, /at most 63/],
      ['create name mismatch', 'POST', '/system/namespace/fresh', { name: 'other' }, 400, /does not match/],
      ['create malformed', 'POST', '/system/namespace/fresh', '{', 400, /not valid JSON/],
      ['create bad labels', 'POST', '/system/namespace/fresh', { labels: ['x'] }, 400, /labels/],
      ['get unknown', 'GET', '/system/namespace/ghost', undefined, 404, /namespace ghost not found/],
      ['update unknown', 'PUT', '/system/namespace/ghost', {}, 404, /namespace ghost not found/],
      ['update bad annotations', 'PUT', '/system/namespace/kept', { annotations: 3 }, 400, /annotations/],
      ['delete unknown', 'DELETE', '/system/namespace/ghost', undefined, 404, /namespace ghost not found/],
      ['delete default', 'DELETE', '/system/namespace/openfaas-fn', undefined, 400, /cannot be deleted/],
    ]
    for (const [what, method, path, body, code, message] of cases) {
      it(`${what}: ${code}`, async () => {
        const before = await snapshot()
        const res = await p.request(method, path, body)
        expect(res.status, res.text).toBe(code)
        expect(res.text).toMatch(message)
        expect(await snapshot()).toBe(before)
      })
    }
  })
})

describe('a namespace echoes what was sent', () => {
  // Labels and annotations left out (or null) stay out; sent ones come back exactly, empty maps included.
  const rows: [string, Record<string, unknown>][] = [
    ['bare', {}],
    ['named', { name: 'named' }],
    ['labels', { labels: { openfaas: '1' } }],
    ['labels-empty', { labels: {} }],
    ['annotations', { annotations: { owner: 'me' } }],
    ['annotations-empty', { annotations: {} }],
    ['go-nulls', { name: '', labels: null, annotations: null }],
    ['both', { labels: { a: '1' }, annotations: { b: '' } }],
  ]
  const echoed = (name: string, sent: Record<string, unknown>) => ({
    name,
    ...Object.fromEntries(Object.entries(sent).filter(([key, value]) => key !== 'name' && value !== null)),
  })
  async function expectEchoed(p: TestProvider, rows: [string, Record<string, unknown>][]) {
    for (const [name, sent] of rows) {
      const res = await p.request('GET', `/system/namespace/${name}`)
      expect(strict(FunctionNamespace).parse(res.json()), name).toStrictEqual(echoed(name, sent))
    }
  }

  it('on create, update and after a restart', async () => {
    const stateDir = tempDir()
    const first = await startTestProvider({ stateDir })
    for (const [name, sent] of rows) {
      const res = await first.request('POST', `/system/namespace/${name}`, sent)
      expect(res.status, res.text).toBe(201)
      expect(res.json(), name).toStrictEqual(echoed(name, sent))
    }
    await expectEchoed(first, rows)
    // Each namespace takes the next row's metadata, so every field appears and disappears once.
    const updated = rows.map(([name], i): [string, Record<string, unknown>] => {
      const [, next] = rows[(i + 1) % rows.length] ?? ['', {}]
      return [name, { ...next, name }]
    })
    for (const [name, sent] of updated) {
      const res = await first.request('PUT', `/system/namespace/${name}`, sent)
      expect(res.status, res.text).toBe(200)
      expect(res.json(), name).toStrictEqual(echoed(name, sent))
    }
    await expectEchoed(first, updated)
    await first.close()
    await expectEchoed(await startTestProvider({ stateDir }), updated)
  })
})
