import { z } from 'zod'

// Request and record shapes. Every input the provider accepts is parsed by one of these, and the
// TypeScript types the rest of the code uses are inferred from them.

// zod's default message for a missing field is "expected string, received undefined"; say what a user
// of faas-cli would understand instead.
const required = (what: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? 'is required' : `must be ${what}`

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

// A function's service name and a namespace are Kubernetes DNS-1123 labels. Namespaces must not hold a
// dot either, because `name.namespace` in an invocation path splits on the last dot.
export const dnsLabel = z
  .string({ error: required('a string') })
  .max(63, 'must be at most 63 characters')
  .regex(
    DNS_LABEL,
    'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending alphanumeric',
  )

// What a function or namespace name in a URL may look like; whether it exists is a separate question.
export const pathName = z
  .string()
  .regex(/^[-a-zA-Z_0-9.]+$/, 'may only contain letters, digits, "-", "_" and "."')

// Secret names become file names under /var/openfaas/secrets, so "." and ".." (and hidden files) are out.
export const secretName = z
  .string({ error: required('a string') })
  .max(253, 'must be at most 253 characters')
  .regex(/^[a-zA-Z0-9_][-a-zA-Z0-9_.]*$/, 'must be letters, digits, "-", "_" and ".", not starting with "."')

// Go clients send "" (and sometimes null) for "no namespace".
const namespaceField = z
  .union([z.literal(''), dnsLabel])
  .nullish()
  .transform((ns) => ns || undefined)

const noNul = (s: string) => !s.includes('\0')
const stringMap = z.record(z.string(), z.string())
const envVars = z.record(
  z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, 'must be a valid environment variable name'),
  z.string().refine(noNul, 'must not contain NUL bytes'),
)
const resources = z.object({ memory: z.string().nullish(), cpu: z.string().nullish() })

const orEmptyMap = <T extends z.ZodType<Record<string, string>>>(schema: T) =>
  schema.nullish().transform((m): Record<string, string> => m ?? {})

export const FunctionDeployment = z
  .object({
    service: dnsLabel,
    image: z.string({ error: required('a string') }).min(1, 'is required'),
    namespace: namespaceField,
    envProcess: z.string().refine(noNul, 'must not contain NUL bytes').nullish(),
    envVars: orEmptyMap(envVars),
    constraints: z.array(z.string()).nullish(),
    secrets: z.array(secretName).nullish(),
    labels: orEmptyMap(stringMap),
    annotations: orEmptyMap(stringMap),
    limits: resources.nullish(),
    requests: resources.nullish(),
    readOnlyRootFilesystem: z.boolean().nullish(),
  })
  .transform(({ service, namespace, ...d }) => ({
    spec: {
      name: service,
      image: d.image,
      envProcess: d.envProcess ?? '',
      envVars: d.envVars,
      constraints: d.constraints ?? [],
      secrets: [...new Set(d.secrets ?? [])],
      labels: d.labels,
      annotations: d.annotations,
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
  envVars: z.record(z.string(), z.string()),
  constraints: z.array(z.string()),
  secrets: z.array(secretName),
  labels: stringMap,
  annotations: stringMap,
  limits: z.object({ memory: z.string().optional(), cpu: z.string().optional() }).optional(),
  requests: z.object({ memory: z.string().optional(), cpu: z.string().optional() }).optional(),
  readOnlyRootFilesystem: z.boolean(),
})
export type FunctionSpec = z.infer<typeof FunctionSpec>

export const DeleteFunctionRequest = z.object({
  functionName: dnsLabel,
  namespace: namespaceField,
})

export const ScaleServiceRequest = z.object({
  serviceName: z.string().nullish(),
  replicas: z
    .number({ error: required('a number') })
    .int('must be a whole number')
    .min(0, 'must not be negative')
    .max(1000, 'must be at most 1000'),
  namespace: namespaceField,
})

export const SecretRequest = z
  .object({
    name: secretName,
    namespace: namespaceField,
    value: z.string().nullish(),
    rawValue: z.base64('must be base64').nullish(),
  })
  .refine((s) => typeof s.value === 'string' || typeof s.rawValue === 'string', {
    message: 'value or rawValue is required',
    path: ['value'],
  })
  .transform(({ name, namespace, value, rawValue }) => ({
    name,
    namespace,
    // Like the OpenFaaS providers: raw bytes win when both are given.
    data: typeof rawValue === 'string' ? Buffer.from(rawValue, 'base64') : Buffer.from(value ?? '', 'utf8'),
  }))

export const DeleteSecretRequest = z.object({ name: secretName, namespace: namespaceField })

export const NamespaceRequest = z.object({
  name: z.union([z.literal(''), dnsLabel]).nullish(),
  labels: orEmptyMap(stringMap),
  annotations: orEmptyMap(stringMap),
})

export const NamespaceMeta = z.object({ labels: stringMap, annotations: stringMap })
export type NamespaceMeta = z.infer<typeof NamespaceMeta>

// Go's strconv.ParseBool spellings, which is what faas-cli's `follow` goes through.
const goBool = z
  .enum(['1', 't', 'T', 'true', 'TRUE', 'True', '0', 'f', 'F', 'false', 'FALSE', 'False'], {
    error: 'must be true or false',
  })
  .transform((v) => ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v))

export const LogQuery = z.object({
  name: pathName,
  namespace: pathName.optional(),
  instance: z.string().optional(),
  // Like the OpenFaaS provider SDK: tail <= 0 means "all buffered lines".
  tail: z
    .string()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .optional(),
  since: z.iso.datetime({ offset: true, error: 'must be an RFC3339 timestamp' }).optional(),
  follow: goBool.optional(),
})
export type LogQuery = z.infer<typeof LogQuery>

export type LogEntry = { name: string; namespace: string; instance: string; timestamp: string; text: string }
