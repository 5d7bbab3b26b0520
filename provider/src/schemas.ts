import { z } from 'zod'
import {
  dnsLabel,
  FunctionDeployment as FunctionDeploymentWire,
  NamespaceRequest as NamespaceRequestWire,
  replicaCount,
  ScaleServiceRequest as ScaleServiceRequestWire,
  Secret,
  SecretReference,
  secretName,
  stringMap,
} from '../../src/schemas/openfaas.ts'

// The wire types come from the gateway's schemas (src/schemas/openfaas.ts), so both sides accept exactly
// the same requests. Here they are normalised into the forms the provider stores and works with.

export {
  DeleteFunctionRequest,
  dnsLabel,
  isDnsLabel,
  type LogEntry,
  LogQuery,
  pathName,
  secretName,
} from '../../src/schemas/openfaas.ts'

export const FunctionDeployment = FunctionDeploymentWire.transform(({ service, namespace, ...d }) => ({
  spec: {
    name: service,
    image: d.image,
    envProcess: d.envProcess ?? '',
    envVars: d.envVars ?? {},
    constraints: d.constraints ?? [],
    secrets: [...new Set(d.secrets ?? [])],
    labels: d.labels ?? {},
    annotations: d.annotations ?? {},
    ...(d.limits ? { limits: compact(d.limits) } : {}),
    ...(d.requests ? { requests: compact(d.requests) } : {}),
    readOnlyRootFilesystem: d.readOnlyRootFilesystem ?? false,
  },
  namespace,
}))

function compact(r: { memory?: string | null | undefined; cpu?: string | null | undefined }) {
  return { ...(r.memory ? { memory: r.memory } : {}), ...(r.cpu ? { cpu: r.cpu } : {}) }
}

// The stored form of a deployment: what FunctionDeployment normalises to, minus the namespace, which
// is the key it is stored under.
export const FunctionSpec = z.object({
  name: dnsLabel,
  image: z.string().min(1),
  envProcess: z.string(),
  envVars: stringMap,
  constraints: z.array(z.string()),
  secrets: z.array(secretName),
  labels: stringMap,
  annotations: stringMap,
  limits: z.object({ memory: z.string().optional(), cpu: z.string().optional() }).optional(),
  requests: z.object({ memory: z.string().optional(), cpu: z.string().optional() }).optional(),
  readOnlyRootFilesystem: z.boolean(),
})
export type FunctionSpec = z.infer<typeof FunctionSpec>

// One machine runs every replica as local processes; more than this is a typo, not a plan.
export const ScaleServiceRequest = ScaleServiceRequestWire.extend({
  replicas: replicaCount.max(1000, 'must be at most 1000'),
})

export const SecretRequest = Secret.transform(({ name, namespace, value, rawValue }) => ({
  name,
  namespace,
  // Like the OpenFaaS providers: raw bytes win when both are given.
  data: typeof rawValue === 'string' ? Buffer.from(rawValue, 'base64') : Buffer.from(value ?? '', 'utf8'),
}))

export const DeleteSecretRequest = SecretReference

export const NamespaceRequest = NamespaceRequestWire.transform((r) => ({
  name: r.name,
  labels: r.labels ?? {},
  annotations: r.annotations ?? {},
}))

export const NamespaceMeta = z.object({ labels: stringMap, annotations: stringMap })
export type NamespaceMeta = z.infer<typeof NamespaceMeta>
