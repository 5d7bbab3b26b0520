import * as z from 'zod/mini'
import {
  dnsLabel,
  FunctionDeployment as FunctionDeploymentWire,
  NamespaceRequest as NamespaceRequestWire,
  replicaCount,
  ScaleServiceRequest as ScaleServiceRequestWire,
  Secret,
  SecretReference,
  stringMap,
} from '../../src/schemas/openfaas.ts'

// The wire types come from the gateway's schemas (src/schemas/openfaas.ts), so both sides accept exactly
// the same requests. Here they are normalised into the forms the provider stores and works with.

export {
  DeleteFunctionRequest,
  dnsLabel,
  type FunctionStatus,
  isDnsLabel,
  type LogEntry,
  LogQuery,
  pathName,
  rfc3339,
  secretName,
} from '../../src/schemas/openfaas.ts'

// A status echoes its deployment: a field left out (or sent as null, which Go clients do for nil maps
// and pointers) stays out of the stored spec and every status, and a field sent is kept exactly as
// sent, an empty map as an empty map, because Go clients compare what they deployed with what they
// read back and a nil map is not an empty one there.
export const FunctionDeployment = z.pipe(
  FunctionDeploymentWire,
  z.transform(({ service, namespace, ...fields }) => ({
    spec: toSpec({ name: service, ...fields }),
    namespace,
  })),
)

// The stored form of a deployment is the wire form itself (src/schemas/openfaas.ts), with `service` as
// `name` and without the namespace, which is the key it is stored under; it is read back through the
// same checks and the same normalising as a deployment.
export const FunctionSpec = z.pipe(
  z.extend(z.omit(FunctionDeploymentWire, { service: true, namespace: true }), { name: dnsLabel }),
  z.transform(toSpec),
)
export type FunctionSpec = z.output<typeof FunctionSpec>

type SpecFields = Omit<FunctionDeploymentWire, 'service' | 'namespace'> & { name: string }

function toSpec({ name, image, limits, requests, ...optional }: SpecFields) {
  return {
    name,
    image,
    ...withoutNulls(optional),
    ...(limits ? { limits: withoutNulls(limits) } : {}),
    ...(requests ? { requests: withoutNulls(requests) } : {}),
  }
}

function withoutNulls<T extends object>(fields: T): { [K in keyof T]?: Exclude<T[K], null | undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value != null)) as {
    [K in keyof T]?: Exclude<T[K], null | undefined>
  }
}

// One machine runs every replica as local processes; more than this is a typo, not a plan.
export const ScaleServiceRequest = z.extend(ScaleServiceRequestWire, {
  replicas: replicaCount.check(z.maximum(1000, 'must be at most 1000')),
})

export const SecretRequest = z.pipe(
  Secret,
  z.transform(({ name, namespace, value, rawValue }) => ({
    name,
    namespace,
    // Like the OpenFaaS providers: raw bytes win when both are given.
    data: typeof rawValue === 'string' ? Buffer.from(rawValue, 'base64') : Buffer.from(value ?? '', 'utf8'),
  })),
)

export const DeleteSecretRequest = SecretReference

// Like a function's status, a namespace echoes what was sent: labels or annotations left out (or null)
// stay out, empty maps stay empty.
export const NamespaceRequest = z.pipe(
  NamespaceRequestWire,
  z.transform(({ name, ...meta }) => ({ name, ...withoutNulls(meta) })),
)

export const NamespaceMeta = z.object({ labels: z.optional(stringMap), annotations: z.optional(stringMap) })
export type NamespaceMeta = z.infer<typeof NamespaceMeta>
