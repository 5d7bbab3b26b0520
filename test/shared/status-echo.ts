import { expect } from 'vitest'
import { FunctionStatus } from '../../src/schemas/openfaas'
import { strict } from './contract'

/**
 * A function's status echoes its deployment, for the dev provider's tests on
 * Node and the gateway's in workerd alike: every optional field left out stays
 * out, and every field sent comes back exactly as sent.
 */

/** The secret the `secrets` rows list; the tests create it in the namespace first. */
export const ECHO_SECRET = 'echo-token'
const IMAGE = 'example/echo:1'

/** Optional FunctionDeployment fields, one row per way of sending them. */
export const deployments: { service: string; [field: string]: unknown }[] = [
  { service: 'bare' },
  { service: 'env-process', envProcess: 'cat' },
  { service: 'env-process-empty', envProcess: '' },
  { service: 'env-vars', envVars: { mode: 'test', exec_timeout: '5s' } },
  { service: 'env-vars-empty', envVars: {} },
  { service: 'constraints', constraints: ['node.platform.os == linux'] },
  { service: 'constraints-empty', constraints: [] },
  { service: 'secrets', secrets: [ECHO_SECRET] },
  { service: 'secrets-empty', secrets: [] },
  { service: 'labels', labels: { team: 'a', 'com.openfaas.scale.min': '1' } },
  { service: 'labels-empty', labels: {} },
  // The provider's own label: a value sent for it is not the one reported.
  { service: 'labels-own', labels: { faas_function: 'someone-else', team: 'c' } },
  { service: 'annotations', annotations: { topic: 'x' } },
  { service: 'annotations-empty', annotations: {} },
  { service: 'limits', limits: { memory: '128Mi', cpu: '500m' } },
  { service: 'limits-empty', limits: {} },
  { service: 'requests', requests: { cpu: '100m' } },
  { service: 'gpu', limits: { 'nvidia.com/gpu': '1', 'amd.com/gpu': '2', 'intel.com/gpu': '3' } },
  { service: 'read-only', readOnlyRootFilesystem: true },
  { service: 'read-only-false', readOnlyRootFilesystem: false },
  // Go clients send null for nil maps, slices and pointers: null means absent.
  {
    service: 'go-nulls',
    envProcess: null,
    envVars: null,
    constraints: null,
    secrets: null,
    labels: null,
    annotations: null,
    limits: null,
    requests: null,
    readOnlyRootFilesystem: null,
  },
  {
    service: 'everything',
    envProcess: 'cat',
    envVars: { mode: 'all' },
    constraints: ['a == b', 'c != d'],
    secrets: [ECHO_SECRET],
    labels: { team: 'b' },
    annotations: { topic: 'y', empty: '' },
    limits: { memory: '256Mi' },
    requests: { memory: '64Mi', cpu: '50m' },
    readOnlyRootFilesystem: true,
  },
]

/**
 * Each row's update: the next row's fields under the same name, so every
 * field goes from absent to present, present to absent, and empty to full.
 */
export function updates(): { service: string; [field: string]: unknown }[] {
  return deployments.map(({ service }, i) => ({
    ...deployments[(i + 1) % deployments.length],
    service,
  }))
}

/** The request body for a row, in a namespace or (undefined) the provider's default. */
export function deploymentBody(row: { service: string }, namespace?: string): Record<string, unknown> {
  return { ...row, image: IMAGE, ...(namespace ? { namespace } : {}) }
}

// What the provider adds about the running function; everything else comes from the deployment.
const STATUS_ONLY = ['invocationCount', 'replicas', 'availableReplicas', 'createdAt'] as const

/**
 * Asserts that a status read back is the row's deployment, exactly, plus the
 * provider's status fields and its `faas_function=<name>` label, which
 * faas-netes and faasd add to every function's labels.
 */
export function expectEcho(status: unknown, row: { service: string }, namespace: string): void {
  const { service, ...sent } = row
  const labels = (sent as { labels?: Record<string, string> | null }).labels
  const echoed = {
    name: service,
    namespace,
    image: IMAGE,
    ...Object.fromEntries(Object.entries(sent).filter(([, value]) => value !== null)),
    labels: { ...labels, faas_function: service },
  }
  const parsed = strict(FunctionStatus).safeParse(status)
  expect(parsed.error, `${service}: status matches the contract type`).toBeUndefined()
  const record = status as Record<string, unknown>
  expect(Object.keys(record).sort(), `${service}: key set`).toEqual(
    [...Object.keys(echoed), ...STATUS_ONLY].sort(),
  )
  const { invocationCount, replicas, availableReplicas, createdAt, ...deployment } = record
  expect(deployment, `${service}: deployment fields`).toStrictEqual(echoed)
  for (const count of [invocationCount, replicas, availableReplicas]) expect(count).toBeTypeOf('number')
  expect(createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/)
}
