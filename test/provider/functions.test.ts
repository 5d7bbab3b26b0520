import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { deploy, type FunctionStatus, startTestProvider, status, type TestProvider } from './helpers.ts'

describe('function lifecycle', () => {
  let p: TestProvider
  beforeAll(async () => {
    p = await startTestProvider()
  })

  it('deploys with 202 and reports the full FunctionStatus', async () => {
    const before = Date.now()
    const res = await p.request('POST', '/system/functions', {
      service: 'figlet',
      image: 'ghcr.io/openfaas/figlet:latest',
      envProcess: 'cat',
      envVars: { mode: 'test' },
      constraints: ['node.platform.os == linux'],
      labels: { team: 'a' },
      annotations: { topic: 'x' },
      limits: { memory: '128Mi' },
      requests: { cpu: '100m' },
      readOnlyRootFilesystem: true,
    })
    expect(res.status).toBe(202)
    const fn = await status(p, 'figlet')
    expect(fn).toMatchObject({
      name: 'figlet',
      namespace: 'openfaas-fn',
      image: 'ghcr.io/openfaas/figlet:latest',
      envProcess: 'cat',
      envVars: { mode: 'test' },
      constraints: ['node.platform.os == linux'],
      labels: { team: 'a' },
      annotations: { topic: 'x' },
      limits: { memory: '128Mi' },
      requests: { cpu: '100m' },
      readOnlyRootFilesystem: true,
      invocationCount: 0,
      replicas: 1,
    })
    expect(Date.parse(fn.createdAt)).toBeGreaterThanOrEqual(before - 1000)
    expect(fn.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
  })

  it('accepts the nulls and empty strings Go clients send', async () => {
    const res = await p.request('POST', '/system/functions', {
      service: 'gostyle',
      image: 'x',
      namespace: '',
      envProcess: 'cat',
      envVars: null,
      labels: null,
      annotations: null,
      secrets: null,
      constraints: null,
      limits: null,
      requests: null,
    })
    expect(res.status, res.text).toBe(202)
    const fn = await status(p, 'gostyle')
    // labels holds only the provider's own faas_function label (see test/provider/status-echo.test.ts).
    expect(fn.labels).toEqual({ faas_function: 'gostyle' })
    for (const field of ['envVars', 'annotations', 'secrets', 'constraints', 'limits', 'requests']) {
      expect(fn, field).not.toHaveProperty(field)
    }
  })

  it('lists functions per namespace', async () => {
    const res = await p.request('GET', '/system/functions')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('application/json')
    const names = res.json<FunctionStatus[]>().map((f) => f.name)
    expect(names).toContain('figlet')
    const explicit = await p.request('GET', '/system/functions?namespace=openfaas-fn')
    expect(explicit.json<FunctionStatus[]>().map((f) => f.name)).toEqual(names)
  })

  it('starts com.openfaas.scale.min replicas', async () => {
    await deploy(p, { service: 'three', envProcess: 'cat', labels: { 'com.openfaas.scale.min': '3' } })
    expect(await status(p, 'three')).toMatchObject({ replicas: 3, availableReplicas: 3 })
  })

  it('updates with PUT: image, env and labels change, createdAt and replicas stay', async () => {
    await deploy(p, { service: 'upd', envProcess: 'cat', envVars: { v: '1' } })
    await p.request('POST', '/system/scale-function/upd', { serviceName: 'upd', replicas: 2 })
    const before = await status(p, 'upd')
    const res = await p.request('PUT', '/system/functions', {
      service: 'upd',
      image: 'example/new:2',
      envProcess: 'env',
      envVars: { v: '2' },
    })
    expect(res.status).toBe(202)
    const after = await status(p, 'upd')
    expect(after).toMatchObject({
      image: 'example/new:2',
      envProcess: 'env',
      envVars: { v: '2' },
      replicas: 2,
    })
    expect(after.createdAt).toBe(before.createdAt)
    expect((await p.request('GET', '/function/upd')).text).toContain('v=2')
  })

  it('raises replicas to a higher scale.min on update', async () => {
    await deploy(p, { service: 'raise', envProcess: 'cat' })
    await p.request('PUT', '/system/functions', {
      service: 'raise',
      image: 'x',
      envProcess: 'cat',
      labels: { 'com.openfaas.scale.min': '2' },
    })
    expect((await status(p, 'raise')).replicas).toBe(2)
  })

  it('deletes with 202, after which the function is gone', async () => {
    await deploy(p, { service: 'doomed', envProcess: 'cat' })
    const res = await p.request('DELETE', '/system/functions', { functionName: 'doomed' })
    expect(res.status).toBe(202)
    expect((await p.request('GET', '/system/function/doomed')).status).toBe(404)
    expect((await p.request('GET', '/function/doomed')).status).toBe(404)
    expect((await p.request('DELETE', '/system/functions', { functionName: 'doomed' })).status).toBe(404)
  })

  it('scales with 202, including to zero', async () => {
    await deploy(p, { service: 'scaled', envProcess: 'cat' })
    expect(
      (await p.request('POST', '/system/scale-function/scaled', { serviceName: 'scaled', replicas: 4 }))
        .status,
    ).toBe(202)
    expect((await status(p, 'scaled')).replicas).toBe(4)
    expect(
      (await p.request('POST', '/system/scale-function/scaled', { replicas: 0, namespace: '' })).status,
    ).toBe(202)
    expect(await status(p, 'scaled')).toMatchObject({ replicas: 0, availableReplicas: 0 })
  })
})

describe('bad function requests change nothing', () => {
  let p: TestProvider
  let snapshot: () => Promise<string>
  beforeAll(async () => {
    p = await startTestProvider()
    await deploy(p, { service: 'existing', envProcess: 'cat', labels: { keep: 'me' } })
    await p.request('POST', '/system/namespace/other', {})
    snapshot = async () =>
      JSON.stringify({
        functions: (await p.request('GET', '/system/functions')).json<FunctionStatus[]>(),
        other: (await p.request('GET', '/system/functions?namespace=other')).json<FunctionStatus[]>(),
        namespaces: (await p.request('GET', '/system/namespaces')).json<string[]>(),
        state: readFileSync(join(p.stateDir, 'state.json'), 'utf8'),
      })
  })

  const ok = { service: 'newfn', image: 'example/fn:1', envProcess: 'cat' }
  const cases: [string, string, string, unknown, number, RegExp][] = [
    ['malformed JSON', 'POST', '/system/functions', '{"service": ', 400, /not valid JSON/],
    ['empty body', 'POST', '/system/functions', '', 400, /not valid JSON/],
    ['not an object', 'POST', '/system/functions', '[1,2]', 400, /invalid function deployment/],
    ['missing service', 'POST', '/system/functions', { image: 'x' }, 400, /service is required/],
    ['missing image', 'POST', '/system/functions', { service: 'x' }, 400, /image is required/],
    ['empty image', 'POST', '/system/functions', { service: 'x', image: '' }, 400, /image is required/],
    [
      'uppercase service',
      'POST',
      '/system/functions',
      { ...ok, service: 'NewFn' },
      400,
      /service must be a DNS-1123/,
    ],
    [
      'dotted service',
      'POST',
      '/system/functions',
      { ...ok, service: 'a.b' },
      400,
      /service must be a DNS-1123/,
    ],
    [
      'long service',
      'POST',
      '/system/functions',
      { ...ok, service: 'a'.repeat(64) },
      400,
      /service must be at most 63/,
    ],
    ['service with underscore', 'POST', '/system/functions', { ...ok, service: 'a_b' }, 400, /service/],
    ['numeric service', 'POST', '/system/functions', { ...ok, service: 42 }, 400, /service must be a string/],
    ['envVars not a map', 'POST', '/system/functions', { ...ok, envVars: 'A=1' }, 400, /envVars/],
    ['envVars value not a string', 'POST', '/system/functions', { ...ok, envVars: { A: 1 } }, 400, /envVars/],
    ['bad env var name', 'POST', '/system/functions', { ...ok, envVars: { 'A=B': '1' } }, 400, /envVars/],
    ['labels not strings', 'POST', '/system/functions', { ...ok, labels: { a: true } }, 400, /labels/],
    ['secrets not a list', 'POST', '/system/functions', { ...ok, secrets: 'x' }, 400, /secrets/],
    ['bad secret name', 'POST', '/system/functions', { ...ok, secrets: ['../x'] }, 400, /secrets/],
    [
      'missing secret',
      'POST',
      '/system/functions',
      { ...ok, secrets: ['nope'] },
      400,
      /secret nope not found/,
    ],
    [
      'bool as string',
      'POST',
      '/system/functions',
      { ...ok, readOnlyRootFilesystem: 'yes' },
      400,
      /readOnly/,
    ],
    [
      'unknown namespace',
      'POST',
      '/system/functions',
      { ...ok, namespace: 'ghost' },
      400,
      /namespace ghost not found/,
    ],
    ['invalid namespace', 'POST', '/system/functions', { ...ok, namespace: 'Bad.NS' }, 400, /namespace/],
    [
      'bad exec_timeout',
      'POST',
      '/system/functions',
      { ...ok, envVars: { exec_timeout: 'soon' } },
      400,
      /exec_timeout/,
    ],
    [
      'bad max_inflight',
      'POST',
      '/system/functions',
      { ...ok, envVars: { max_inflight: '-1' } },
      400,
      /max_inflight/,
    ],
    [
      'bad scale.min',
      'POST',
      '/system/functions',
      { ...ok, labels: { 'com.openfaas.scale.min': 'many' } },
      400,
      /com\.openfaas\.scale\.min/,
    ],
    ['duplicate', 'POST', '/system/functions', { ...ok, service: 'existing' }, 409, /already exists/],
    [
      'update unknown',
      'PUT',
      '/system/functions',
      { ...ok, service: 'ghost' },
      404,
      /function ghost not found/,
    ],
    [
      'update in other namespace',
      'PUT',
      '/system/functions',
      { ...ok, service: 'existing', namespace: 'other' },
      404,
      /not found/,
    ],
    ['update malformed', 'PUT', '/system/functions', '{', 400, /not valid JSON/],
    [
      'update bad field',
      'PUT',
      '/system/functions',
      { service: 'existing', image: 'x', envVars: [] },
      400,
      /envVars/,
    ],
    [
      'delete unknown',
      'DELETE',
      '/system/functions',
      { functionName: 'ghost' },
      404,
      /function ghost not found/,
    ],
    ['delete missing name', 'DELETE', '/system/functions', {}, 400, /functionName is required/],
    ['delete malformed', 'DELETE', '/system/functions', 'existing', 400, /not valid JSON/],
    [
      'delete wrong namespace',
      'DELETE',
      '/system/functions',
      { functionName: 'existing', namespace: 'other' },
      404,
      /not found/,
    ],
    ['get unknown', 'GET', '/system/function/ghost', undefined, 404, /function ghost not found/],
    ['get invalid name', 'GET', '/system/function/a%20b', undefined, 400, /function name/],
    [
      'get in unknown namespace',
      'GET',
      '/system/function/existing?namespace=ghost',
      undefined,
      404,
      /not found/,
    ],
    [
      'list unknown namespace',
      'GET',
      '/system/functions?namespace=ghost',
      undefined,
      404,
      /namespace ghost not found/,
    ],
    [
      'scale unknown',
      'POST',
      '/system/scale-function/ghost',
      { replicas: 1 },
      404,
      /function ghost not found/,
    ],
    [
      'scale negative',
      'POST',
      '/system/scale-function/existing',
      { replicas: -1 },
      400,
      /replicas must not be negative/,
    ],
    ['scale fractional', 'POST', '/system/scale-function/existing', { replicas: 1.5 }, 400, /replicas/],
    [
      'scale string',
      'POST',
      '/system/scale-function/existing',
      { replicas: '2' },
      400,
      /replicas must be a number/,
    ],
    ['scale missing', 'POST', '/system/scale-function/existing', {}, 400, /replicas is required/],
    ['scale huge', 'POST', '/system/scale-function/existing', { replicas: 5000 }, 400, /replicas/],
    [
      'scale name mismatch',
      'POST',
      '/system/scale-function/existing',
      { serviceName: 'other', replicas: 2 },
      400,
      /does not match/,
    ],
    ['scale malformed', 'POST', '/system/scale-function/existing', 'x', 400, /not valid JSON/],
  ]

  for (const [what, method, path, body, code, message] of cases) {
    it(`${what}: ${code}`, async () => {
      const before = await snapshot()
      const res = await p.request(method, path, body)
      expect(res.status, res.text).toBe(code)
      expect(res.headers.get('content-type')).toContain('text/plain')
      expect(res.text).toMatch(message)
      expect(await snapshot()).toBe(before)
    })
  }
})
