import { describe, expect, it } from 'vitest'
import { basic, gateway, gatewayWith, received, release, tag, upstreamUrl, utf8 } from './helpers'

const AUTH_VARS = { BASIC_AUTH: 'true', BASIC_AUTH_USER: 'admin', BASIC_AUTH_PASSWORD: 'pw' }

const json = (t: { headers: Record<string, string> }, method: string, body: unknown): RequestInit => ({
  method,
  headers: { ...t.headers, 'content-type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
})

describe('/system/functions', () => {
  it('lists functions, passing ?namespace= on', async () => {
    const t = tag()
    const res = await gateway('/system/functions?namespace=staging', { headers: t.headers })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    const list = (await res.json()) as Array<{ name: string }>
    expect(list[0]?.name).toBe('echo')
    expect((await received(t.id))[0]?.url).toBe('/system/functions?namespace=staging')
  })

  it.each(['POST', 'PUT'])('%s forwards a valid FunctionDeployment byte for byte', async (method) => {
    const t = tag()
    const text =
      '{"service":"wc","image":"functions/alpine:latest","envProcess":"wc","x-extra":{"kept":true}}'
    const res = await gateway('/system/functions', json(t, method, text))
    expect(res.status).toBe(202)
    const [req] = await received(t.id)
    expect(req?.method).toBe(method)
    expect(req?.body).toBe(text)
  })

  it.each([
    ['{"image":"x"}', 'invalid FunctionDeployment: service is required'],
    ['{"service":"Bad_Name","image":"x"}', 'invalid FunctionDeployment: service must be a DNS-1123 label'],
    [`{"service":"${'a'.repeat(64)}","image":"x"}`, 'invalid FunctionDeployment: service must be at most 63'],
    ['{"service":"ok"}', 'invalid FunctionDeployment: image is required'],
    ['{"service":"ok","image":""}', 'invalid FunctionDeployment: image is required'],
    ['{"service":"ok","image":"x","envVars":{"a":1}}', 'invalid FunctionDeployment: envVars.a'],
    ['{"service":"ok","image":"x","labels":[]}', 'invalid FunctionDeployment: labels'],
    ['{"service":"ok","image":"x","secrets":["../etc"]}', 'invalid FunctionDeployment: secrets.0'],
    [
      '{"service":"ok","image":"x","readOnlyRootFilesystem":"yes"}',
      'invalid FunctionDeployment: readOnlyRootFilesystem',
    ],
    ['{"service":"ok",', 'invalid JSON in FunctionDeployment body'],
    ['', 'FunctionDeployment body is required'],
    ['[]', 'invalid FunctionDeployment'],
  ])('rejects the deployment %s with 400 and forwards nothing', async (body, message) => {
    const t = tag()
    const res = await gateway('/system/functions', json(t, 'POST', body))
    expect(res.status).toBe(400)
    expect(await res.text()).toContain(message)
    expect(await received(t.id)).toEqual([])
  })

  it('deletes a function and passes the provider 404 for an unknown one', async () => {
    const t = tag()
    const ok = await gateway(
      '/system/functions',
      json(t, 'DELETE', { functionName: 'echo', namespace: 'openfaas-fn' }),
    )
    expect(ok.status).toBe(202)
    const missing = await gateway('/system/functions', json(t, 'DELETE', { functionName: 'missing' }))
    expect(missing.status).toBe(404)
    expect(await missing.text()).toBe('function missing not found')
    expect((await received(t.id)).map((r) => r.method)).toEqual(['DELETE', 'DELETE'])
  })

  it('rejects a delete without functionName', async () => {
    const t = tag()
    const res = await gateway('/system/functions', json(t, 'DELETE', { name: 'echo' }))
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('functionName is required')
    expect(await received(t.id)).toEqual([])
  })

  it('answers 413 for a management body over 1 MiB, without forwarding', async () => {
    const t = tag()
    const body = JSON.stringify({ service: 'big', image: 'x', envVars: { pad: 'x'.repeat(1024 * 1024) } })
    const res = await gateway('/system/functions', json(t, 'POST', body))
    expect(res.status).toBe(413)
    expect(await received(t.id)).toEqual([])
  })

  it('rejects an invalid ?namespace=', async () => {
    const res = await gateway('/system/functions?namespace=Bad!')
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('invalid namespace "Bad!"')
  })
})

describe('/system/function/{name}', () => {
  it('describes one function, with ?namespace=', async () => {
    const t = tag()
    const res = await gateway('/system/function/echo?namespace=openfaas-fn', { headers: t.headers })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { name: string }).name).toBe('echo')
    expect((await received(t.id))[0]?.url).toBe('/system/function/echo?namespace=openfaas-fn')
  })

  it('passes the provider 404 for an unknown function', async () => {
    const res = await gateway('/system/function/missing')
    expect(res.status).toBe(404)
  })

  it('rejects an invalid name', async () => {
    const res = await gateway('/system/function/bad%21name')
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('invalid function name')
  })

  it.each(['...', '....'])(
    'rejects a name of dots only (%s), which a server may read as a parent',
    async (name) => {
      const t = tag()
      for (const path of [`/system/function/${name}`, `/system/function/${name.replaceAll('.', '%2e')}`]) {
        const res = await gateway(path, { headers: t.headers })
        expect(res.status, path).toBe(400)
        expect(await res.text()).toContain('must not consist of dots only')
      }
      expect(await received(t.id)).toEqual([])
    },
  )
})

describe('/system/scale-function/{name}', () => {
  it('caps a request at com.openfaas.scale.max (default 20), saying so', async () => {
    const t = tag()
    const res = await gateway(
      '/system/scale-function/echo',
      json(t, 'POST', { serviceName: 'echo', replicas: 100 }),
    )
    expect(res.status).toBe(202)
    expect(res.headers.get('x-scale-capped-at')).toBe('20')
    const [req] = await received(t.id)
    expect(JSON.parse(req?.body ?? '')).toEqual({ serviceName: 'echo', replicas: 20 })
  })

  // With scale from zero on, 0 is a drain, made later by the function's object
  // (test/worker/scale-from-zero.test.ts, test/isolates/drain.test.ts).
  it.each([0, 1, 5, 20])('scales to %i replicas', async (replicas) => {
    const t = tag()
    const res = await gatewayWith(
      { SCALE_FROM_ZERO: 'false' },
      '/system/scale-function/echo',
      json(t, 'POST', { serviceName: 'echo', replicas }),
    )
    expect(res.status).toBe(202)
    const [req] = await received(t.id)
    expect(req?.url).toBe('/system/scale-function/echo')
    expect(JSON.parse(req?.body ?? '')).toEqual({ serviceName: 'echo', replicas })
  })

  it('fills serviceName from the path and namespace from the query', async () => {
    const t = tag()
    await gateway('/system/scale-function/echo?namespace=staging', json(t, 'POST', { replicas: 2 }))
    const [req] = await received(t.id)
    expect(JSON.parse(req?.body ?? '')).toEqual({ serviceName: 'echo', replicas: 2, namespace: 'staging' })
  })

  it.each([
    [{ serviceName: 'echo', replicas: -1 }, 'replicas must not be negative'],
    [{ serviceName: 'echo', replicas: 1.5 }, 'replicas must be a whole number'],
    [{ serviceName: 'echo', replicas: '2' }, 'replicas'],
    [{ serviceName: 'echo' }, 'replicas is required'],
    [{ serviceName: 'other', replicas: 1 }, 'does not match the function in the path'],
  ])('rejects %j', async (body, message) => {
    const t = tag()
    const res = await gateway('/system/scale-function/echo', json(t, 'POST', body))
    expect(res.status).toBe(400)
    expect(await res.text()).toContain(message)
    expect(await received(t.id)).toEqual([])
  })
})

describe('/system/secrets', () => {
  it('lists secret names', async () => {
    const res = await gateway('/system/secrets?namespace=openfaas-fn')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual([{ name: 'api-key', namespace: 'openfaas-fn' }])
  })

  it.each([
    ['POST', { name: 'api-key', value: 's3cret' }, 201],
    ['PUT', { name: 'api-key', rawValue: btoa('bytes') }, 200],
    ['DELETE', { name: 'api-key' }, 200],
  ])('%s forwards a valid secret', async (method, body, status) => {
    const t = tag()
    const res = await gateway('/system/secrets', json(t, method, body))
    expect(res.status).toBe(status)
    expect(JSON.parse((await received(t.id))[0]?.body ?? '')).toEqual(body)
  })

  it.each([
    ['POST', { value: 'x' }, 'name is required'],
    ['POST', { name: 'api-key' }, 'value or rawValue is required'],
    ['PUT', { name: 'api-key', rawValue: 'not base64!' }, 'rawValue must be base64'],
    ['POST', { name: '../x', value: 'v' }, 'name must be letters, digits'],
    ['DELETE', {}, 'name is required'],
  ])('%s rejects %j', async (method, body, message) => {
    const t = tag()
    const res = await gateway('/system/secrets', json(t, method, body))
    expect(res.status).toBe(400)
    expect(await res.text()).toContain(message)
    expect(await received(t.id)).toEqual([])
  })
})

describe('/system/logs', () => {
  it('streams NDJSON log entries', async () => {
    const t = tag()
    const res = await gateway('/system/logs?name=echo&namespace=openfaas-fn&tail=10', { headers: t.headers })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/x-ndjson')
    const lines = (await utf8(res))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string })
    expect(lines.map((l) => l.text)).toEqual(['line 1', 'line 3'])
    expect((await received(t.id))[0]?.url).toBe('/system/logs?name=echo&namespace=openfaas-fn&tail=10')
  })

  it('keeps a follow=true stream open, passing lines on as they arrive', async () => {
    const t = tag()
    const res = await gateway('/system/logs?name=echo&follow=true', { headers: t.headers })
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader()
    const next = async () => JSON.parse((await reader.read()).value ?? '') as { text: string }
    expect((await next()).text).toBe('line 1')
    await release(t.id)
    expect((await next()).text).toBe('line 2')
    await reader.cancel()
  })

  it('answers 501 when the provider has no logs, with its reason', async () => {
    const res = await gateway('/system/logs?name=nologs')
    expect(res.status).toBe(501)
    expect(await res.text()).toBe(
      'logs are not available from the functions provider (501): not implemented\n',
    )
  })

  it.each([
    ['/system/logs', 'name is required'],
    ['/system/logs?name=echo&tail=ten', 'tail must be a whole number'],
    ['/system/logs?name=echo&follow=maybe', 'follow must be true or false'],
    ['/system/logs?name=echo&since=yesterday', 'since must be an RFC3339 time'],
  ])('rejects %s', async (path, message) => {
    const res = await gateway(path)
    expect(res.status).toBe(400)
    expect(await res.text()).toContain(message)
  })
})

describe('/system/namespaces and /system/namespace/{ns}', () => {
  it('lists namespaces', async () => {
    const res = await gateway('/system/namespaces')
    expect(await res.json()).toEqual(['openfaas-fn', 'staging'])
  })

  it.each(['GET', 'DELETE'])('%s forwards a namespace', async (method) => {
    const t = tag()
    const res = await gateway('/system/namespace/staging', { method, headers: t.headers })
    expect(res.status).toBe(200)
    expect((await received(t.id))[0]).toMatchObject({ method, url: '/system/namespace/staging' })
  })

  it.each(['POST', 'PUT'])('%s forwards a namespace body', async (method) => {
    const t = tag()
    const body = { name: 'staging', labels: { team: 'a' } }
    const res = await gateway('/system/namespace/staging', json(t, method, body))
    expect(res.status).toBe(200)
    expect(JSON.parse((await received(t.id))[0]?.body ?? '')).toEqual(body)
  })

  it('rejects a body naming another namespace, and invalid names', async () => {
    const t = tag()
    const mismatch = await gateway('/system/namespace/staging', json(t, 'POST', { name: 'prod' }))
    expect(mismatch.status).toBe(400)
    const bad = await gateway('/system/namespace/Not_Valid')
    expect(bad.status).toBe(400)
    expect(await received(t.id)).toEqual([])
  })
})

describe('/system/info, /healthz and /', () => {
  it('merges the provider info with the gateway version', async () => {
    const res = await gateway('/system/info')
    expect(res.status).toBe(200)
    const info = (await res.json()) as Record<string, unknown>
    expect(info).toEqual({
      provider: {
        provider: 'test-provider',
        orchestration: 'test',
        version: { sha: 'abc123', release: '9.9.9' },
      },
      // The test build defines no commit message, and an empty one is left out (omitempty).
      version: { release: '0.1.0', sha: 'unknown' },
      arch: 'workerd',
    })
  })

  it('forwards /healthz to the provider with nothing of the caller but the method', async () => {
    const t = tag()
    const res = await gatewayWith(
      { ...AUTH_VARS, FUNCTIONS_PROVIDER_URL: `${upstreamUrl}/__t/${t.id}` },
      '/healthz?probe=1&namespace=x',
      { headers: { 'x-caller': 'yes', cookie: 'session=1', authorization: 'Bearer caller' } },
    )
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('OK')
    const [health, ...more] = await received(t.id)
    expect(more).toEqual([])
    expect(health?.url).toBe('/healthz')
    expect(health?.headers['x-caller']).toBeUndefined()
    expect(health?.headers.cookie).toBeUndefined()
    expect(health?.headers.authorization).toBe(basic('admin', 'pw'))
  })

  it('redirects / to /ui/ with 307', async () => {
    const res = await gateway('/', { redirect: 'manual' })
    expect(res.status).toBe(307)
    expect(res.headers.get('location')).toBe('/ui/')
  })
})

describe('routing errors', () => {
  it.each(['/nope', '/system', '/system/unknown', '/systemfunctions', '/function-x/echo'])(
    'answers 404 for %s',
    async (path) => {
      const res = await gateway(path)
      expect(res.status).toBe(404)
    },
  )

  it.each([
    ['PATCH', '/system/functions', 'GET, POST, PUT, DELETE, HEAD'],
    ['POST', '/system/function/echo', 'GET, HEAD'],
    ['GET', '/system/scale-function/echo', 'POST'],
    ['PATCH', '/system/secrets', 'GET, POST, PUT, DELETE, HEAD'],
    ['POST', '/system/logs', 'GET, HEAD'],
    ['DELETE', '/system/namespaces', 'GET, HEAD'],
    ['PATCH', '/system/namespace/staging', 'GET, POST, PUT, DELETE, HEAD'],
    ['POST', '/system/info', 'GET, HEAD'],
    ['POST', '/healthz', 'GET, HEAD'],
  ])('answers 405 with Allow for %s %s', async (method, path, allow) => {
    const res = await gateway(path, { method })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe(allow)
  })
})

describe('what Go clients send', () => {
  it('accepts null for unset optional fields and "" for an unset namespace', async () => {
    const t = tag()
    const body = {
      service: 'go-client',
      image: 'functions/alpine:latest',
      namespace: '',
      envProcess: 'cat',
      envVars: null,
      constraints: null,
      secrets: null,
      labels: null,
      annotations: null,
      limits: null,
      requests: null,
    }
    const res = await gateway('/system/functions', json(t, 'POST', body))
    expect(res.status).toBe(202)
    const del = await gateway(
      '/system/functions',
      json(t, 'DELETE', { functionName: 'go-client', namespace: '' }),
    )
    expect(del.status).toBe(202)
    const scale = await gateway(
      '/system/scale-function/echo',
      json(t, 'POST', { serviceName: '', replicas: 1, namespace: '' }),
    )
    expect(scale.status).toBe(202)
    expect(await received(t.id)).toHaveLength(3)
  })
})
