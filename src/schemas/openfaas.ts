import { z } from 'zod'

/**
 * The OpenFaaS wire types as zod schemas. Every TypeScript type for the API is
 * inferred from here so that validation and types can never disagree.
 */

/** Names as they may appear in a path segment: `[-a-zA-Z_0-9.]+`, never a dot segment. */
export const resourceName = z
  .string()
  .regex(/^[-a-zA-Z_0-9.]+$/, 'must match [-a-zA-Z_0-9.]+')
  .refine((s) => s !== '.' && s !== '..', 'must not be a dot segment')

/** Deploy validates the service as a DNS-1123 label, as Kubernetes-backed providers require. */
export const serviceName = z
  .string()
  .min(1, 'is required')
  .max(63, 'must be at most 63 characters')
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label (lowercase alphanumerics and -)')

export const namespaceName = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label (lowercase alphanumerics and -)')

/** Go clients may send `""` for a namespace they did not set; providers read that as the default. */
const optionalNamespace = namespaceName.or(z.literal('')).nullish()

const stringMap = z.record(z.string(), z.string())

const resources = z.object({
  memory: z.string().optional(),
  cpu: z.string().optional(),
})

export const functionDeployment = z.looseObject({
  service: serviceName,
  image: z.string().min(1, 'is required'),
  namespace: optionalNamespace,
  envProcess: z.string().nullish(),
  envVars: stringMap.nullish(),
  constraints: z.array(z.string()).nullish(),
  secrets: z.array(resourceName).nullish(),
  labels: stringMap.nullish(),
  annotations: stringMap.nullish(),
  limits: resources.nullish(),
  requests: resources.nullish(),
  readOnlyRootFilesystem: z.boolean().nullish(),
})
export type FunctionDeployment = z.infer<typeof functionDeployment>

export const functionStatus = z.looseObject({
  name: z.string(),
  image: z.string().optional(),
  namespace: z.string().optional(),
  envProcess: z.string().optional(),
  envVars: stringMap.optional(),
  constraints: z.array(z.string()).optional(),
  secrets: z.array(z.string()).optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  limits: resources.optional(),
  requests: resources.optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  invocationCount: z.number().optional(),
  replicas: z.number().optional(),
  availableReplicas: z.number().optional(),
  createdAt: z.string().optional(),
  usage: z.looseObject({ cpu: z.number().optional(), totalMemoryBytes: z.number().optional() }).optional(),
})
export type FunctionStatus = z.infer<typeof functionStatus>

export const deleteFunctionRequest = z.looseObject({
  functionName: resourceName,
  namespace: optionalNamespace,
})
export type DeleteFunctionRequest = z.infer<typeof deleteFunctionRequest>

export const scaleServiceRequest = z.looseObject({
  serviceName: resourceName.or(z.literal('')).nullish(),
  replicas: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(0, { error: 'must be 0 or more' }),
  namespace: optionalNamespace,
})
export type ScaleServiceRequest = z.infer<typeof scaleServiceRequest>

export const secret = z
  .looseObject({
    name: resourceName,
    namespace: optionalNamespace,
    value: z.string().nullish(),
    rawValue: z.base64('must be base64').nullish(),
  })
  .refine((s) => s.value != null || s.rawValue != null, {
    message: 'one of value or rawValue is required',
    path: ['value'],
  })
export type Secret = z.infer<typeof secret>

export const secretReference = z.looseObject({
  name: resourceName,
  namespace: optionalNamespace,
})

export const namespaceRequest = z.looseObject({
  name: namespaceName.optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
})

export const versionInfo = z.looseObject({
  sha: z.string().optional(),
  release: z.string().optional(),
  commit_message: z.string().optional(),
})

export const providerInfo = z.looseObject({
  provider: z.string().optional(),
  orchestration: z.string().optional(),
  version: versionInfo.optional(),
})
export type ProviderInfo = z.infer<typeof providerInfo>

export const logEntry = z.object({
  name: z.string(),
  namespace: z.string(),
  instance: z.string(),
  timestamp: z.string(),
  text: z.string(),
})
export type LogEntry = z.infer<typeof logEntry>
