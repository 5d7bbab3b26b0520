import { z } from 'zod'

/**
 * The OpenFaaS wire types as zod schemas: the one place the gateway and the
 * dev provider take them from, with every TypeScript type inferred here. They
 * describe what may cross the wire; each side adds its own transforms on top.
 * This file imports nothing relative, so Node can load it as it is.
 */

// zod's default for a missing field is "expected string, received undefined"; say what a faas-cli user understands.
const required = (what: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? 'is required' : `must be ${what}`

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS_LABEL_MAX = 63

/**
 * The DNS-1123 label rule without zod, for the invocation path, which runs on
 * every request and only needs a yes or no.
 */
export const isDnsLabel = (s: string): boolean => s.length <= DNS_LABEL_MAX && DNS_LABEL.test(s)

/** A deployed function's service name and a namespace are Kubernetes DNS-1123 labels. */
export const dnsLabel = z
  .string({ error: required('a string') })
  .max(DNS_LABEL_MAX, `must be at most ${DNS_LABEL_MAX} characters`)
  .regex(
    DNS_LABEL,
    'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending alphanumeric',
  )

/** What a function or namespace name in a URL may look like; whether it exists is a separate question. */
export const pathName = z
  .string({ error: required('a string') })
  .regex(/^[-a-zA-Z_0-9.]+$/, 'may only contain letters, digits, "-", "_" and "."')
  .refine((s) => s !== '.' && s !== '..', 'must not be "." or ".."')

/** Secret names become file names under /var/openfaas/secrets, so "." and ".." (and hidden files) are out. */
export const secretName = z
  .string({ error: required('a string') })
  .max(253, 'must be at most 253 characters')
  .regex(/^[a-zA-Z0-9_][-a-zA-Z0-9_.]*$/, 'must be letters, digits, "-", "_" and ".", not starting with "."')

/** Go clients send "" (and sometimes null) for "no namespace": both mean the provider's default. */
export const namespaceField = z
  .union([z.literal(''), dnsLabel])
  .nullish()
  .transform((ns) => ns || undefined)

const noNul = (s: string) => !s.includes('\0')

export const stringMap = z.record(z.string(), z.string())

export const envVars = z.record(
  z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, 'must be a valid environment variable name'),
  z.string().refine(noNul, 'must not contain NUL bytes'),
)

// The provider SDK's FunctionResources, GPU counts included, so a provider that stores them can echo them.
export const FunctionResources = z.object({
  memory: z.string().nullish(),
  cpu: z.string().nullish(),
  'nvidia.com/gpu': z.string().nullish(),
  'amd.com/gpu': z.string().nullish(),
  'intel.com/gpu': z.string().nullish(),
})

// Go clients send null for unset pointers and maps, so every optional field is nullish.
export const FunctionDeployment = z.object({
  service: dnsLabel,
  image: z.string({ error: required('a string') }).min(1, 'is required'),
  namespace: namespaceField,
  envProcess: z.string().refine(noNul, 'must not contain NUL bytes').nullish(),
  envVars: envVars.nullish(),
  constraints: z.array(z.string()).nullish(),
  secrets: z.array(secretName).nullish(),
  labels: stringMap.nullish(),
  annotations: stringMap.nullish(),
  limits: FunctionResources.nullish(),
  requests: FunctionResources.nullish(),
  readOnlyRootFilesystem: z.boolean().nullish(),
})
export type FunctionDeployment = z.infer<typeof FunctionDeployment>

// Go's time.Time reads and writes RFC 3339, with any fraction of a second.
export const rfc3339 = z.iso.datetime({ offset: true, error: 'must be an RFC3339 timestamp' })

export const FunctionStatus = z.object({
  name: z.string(),
  image: z.string().optional(),
  namespace: z.string().optional(),
  envProcess: z.string().optional(),
  envVars: stringMap.optional(),
  constraints: z.array(z.string()).optional(),
  secrets: z.array(z.string()).optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  limits: FunctionResources.optional(),
  requests: FunctionResources.optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  invocationCount: z.number().optional(),
  replicas: z.number().optional(),
  availableReplicas: z.number().optional(),
  createdAt: rfc3339.optional(),
  usage: z.object({ cpu: z.number().optional(), totalMemoryBytes: z.number().optional() }).optional(),
})
export type FunctionStatus = z.infer<typeof FunctionStatus>

export const DeleteFunctionRequest = z.object({
  functionName: dnsLabel,
  namespace: namespaceField,
})
export type DeleteFunctionRequest = z.infer<typeof DeleteFunctionRequest>

export const replicaCount = z
  .number({ error: required('a number') })
  .int('must be a whole number')
  .min(0, 'must not be negative')

export const ScaleServiceRequest = z.object({
  serviceName: z.string().nullish(),
  replicas: replicaCount,
  namespace: namespaceField,
})
export type ScaleServiceRequest = z.infer<typeof ScaleServiceRequest>

export const Secret = z
  .object({
    name: secretName,
    namespace: namespaceField,
    value: z.string().nullish(),
    rawValue: z.base64('must be base64').nullish(),
  })
  .refine((s) => typeof s.value === 'string' || typeof s.rawValue === 'string', {
    message: 'value or rawValue is required',
  })
export type Secret = z.infer<typeof Secret>

/** A secret named for deletion: no value. */
export const SecretReference = z.object({ name: secretName, namespace: namespaceField })

export const NamespaceRequest = z.object({
  name: z.union([z.literal(''), dnsLabel]).nullish(),
  labels: stringMap.nullish(),
  annotations: stringMap.nullish(),
})
export type NamespaceRequest = z.infer<typeof NamespaceRequest>

/** What a provider answers about one namespace; like the SDK type, empty labels and annotations may be left out. */
export const FunctionNamespace = z.object({
  name: z.string(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
})
export type FunctionNamespace = z.infer<typeof FunctionNamespace>

// Go's strconv.ParseBool spellings, which is what faas-cli's `follow` goes through.
const TRUE = ['1', 't', 'T', 'true', 'TRUE', 'True']
const goBool = z
  .enum([...TRUE, '0', 'f', 'F', 'false', 'FALSE', 'False'], { error: 'must be true or false' })
  .transform((v) => TRUE.includes(v))

export const LogQuery = z.object({
  name: pathName,
  namespace: pathName.optional(),
  instance: z.string().optional(),
  // As in the OpenFaaS provider SDK: tail <= 0 means "all buffered lines".
  tail: z
    .string()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .optional(),
  since: rfc3339.optional(),
  follow: goBool.optional(),
})
export type LogQuery = z.infer<typeof LogQuery>

export const LogEntry = z.object({
  name: z.string(),
  namespace: z.string(),
  instance: z.string(),
  timestamp: rfc3339,
  text: z.string(),
})
export type LogEntry = z.infer<typeof LogEntry>

export const VersionInfo = z.object({
  sha: z.string().optional(),
  release: z.string().optional(),
  commit_message: z.string().optional(),
})

/** What a provider's /system/info answers; the gateway wraps it with its own version. */
export const ProviderInfo = z.looseObject({
  provider: z.string().optional(),
  orchestration: z.string().optional(),
  version: VersionInfo.optional(),
})
export type ProviderInfo = z.infer<typeof ProviderInfo>

/** The gateway's /system/info: the provider's, its own version, and where it runs. */
export const GatewayInfo = z.object({ provider: ProviderInfo, version: VersionInfo, arch: z.string() })
export type GatewayInfo = z.infer<typeof GatewayInfo>
