import { expect } from 'vitest'
import * as z from 'zod/mini'
import { FunctionNamespace, FunctionStatus, LogEntry } from '../../src/schemas/openfaas'

/**
 * Every management response read with the contract types, strictly: no field
 * the OpenFaaS type lacks, none of the wrong kind (number vs string), no null
 * where the Go type has omitempty, RFC 3339 timestamps. For the dev provider
 * directly and for the gateway in front of it alike.
 */

export type Call = (method: string, path: string, body?: unknown) => Promise<Response>

/** The same object type, refusing any field it does not name. */
export function strict<Shape extends z.core.$ZodShape>(schema: z.ZodMiniObject<Shape>) {
  return z.strictObject(schema.shape)
}

const SecretListEntry = z.strictObject({ name: z.string(), namespace: z.string() })
const NANOS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/

async function readJson<T extends z.ZodMiniType>(
  res: Response,
  schema: T,
  what: string,
): Promise<z.output<T>> {
  expect(res.status, what).toBeLessThan(300)
  expect(res.headers.get('content-type'), what).toMatch(/^application\/json/)
  const parsed = schema.safeParse(await res.json())
  expect(parsed.error, what).toBeUndefined()
  return parsed.data as z.output<T>
}

export async function expectManagementContract(call: Call, namespace: string): Promise<void> {
  const fn = 'contract-fn'
  const ns = `?namespace=${namespace}`

  const created = await call('POST', `/system/namespace/${namespace}`, { labels: { team: 'a' } })
  expect(created.status).toBe(201)
  expect(await readJson(created, strict(FunctionNamespace), 'namespace created')).toStrictEqual({
    name: namespace,
    labels: { team: 'a' },
  })
  expect(
    await readJson(
      await call('GET', `/system/namespace/${namespace}`),
      strict(FunctionNamespace),
      'namespace',
    ),
  ).toStrictEqual({ name: namespace, labels: { team: 'a' } })
  expect(
    await readJson(await call('GET', '/system/namespaces'), z.array(z.string()), 'namespaces'),
  ).toContain(namespace)

  expect(
    (await call('POST', '/system/secrets', { name: 'contract-secret', value: 'v', namespace })).status,
  ).toBe(201)
  expect(
    await readJson(await call('GET', `/system/secrets${ns}`), z.array(SecretListEntry), 'secrets'),
  ).toStrictEqual([{ name: 'contract-secret', namespace }])

  const deployed = await call('POST', '/system/functions', {
    service: fn,
    image: 'example/contract:1',
    namespace,
    envProcess: 'cat',
    secrets: ['contract-secret'],
  })
  expect(deployed.status).toBe(202)
  let status: FunctionStatus | undefined
  for (let i = 0; i < 200 && !status?.availableReplicas; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 20))
    status = await readJson(
      await call('GET', `/system/function/${fn}${ns}`),
      strict(FunctionStatus),
      'status',
    )
  }
  const invoked = await call('POST', `/function/${fn}.${namespace}`, 'hello')
  expect(invoked.status).toBe(200)
  expect(await invoked.text()).toBe('hello')

  // Through the gateway invocationCount comes from its metrics, which count an invocation within about a second.
  let single: FunctionStatus = { name: '' }
  for (let i = 0; i < 100 && single.invocationCount !== 1; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 50))
    single = await readJson(
      await call('GET', `/system/function/${fn}${ns}`),
      strict(FunctionStatus),
      'status',
    )
  }
  expect(single).toMatchObject({ name: fn, namespace, invocationCount: 1, replicas: 1, availableReplicas: 1 })
  expect(single.createdAt).toBe(status?.createdAt)
  const list = await readJson(
    await call('GET', `/system/functions${ns}`),
    z.array(strict(FunctionStatus)),
    'functions',
  )
  expect(list).toStrictEqual([single])

  const logs = await call('GET', `/system/logs?name=${fn}&namespace=${namespace}`)
  expect(logs.status).toBe(200)
  expect(logs.headers.get('content-type')).toMatch(/^application\/x-ndjson/)
  const lines = new TextDecoder()
    .decode(await logs.arrayBuffer())
    .split('\n')
    .filter(Boolean)
  expect(lines.length).toBeGreaterThan(0)
  for (const line of lines) {
    const entry = strict(LogEntry).parse(JSON.parse(line))
    expect(entry).toMatchObject({ name: fn, namespace })
    expect(entry.timestamp).toMatch(NANOS)
  }

  expect((await call('DELETE', '/system/functions', { functionName: fn, namespace })).status).toBe(202)
  expect((await call('DELETE', '/system/secrets', { name: 'contract-secret', namespace })).status).toBe(200)
  expect((await call('DELETE', `/system/namespace/${namespace}`)).status).toBe(200)
}
