import { en } from 'zod/locales'
import * as z from 'zod/mini'

/**
 * The OpenFaaS wire types as zod schemas: the one place the gateway and the
 * dev provider take them from, with every TypeScript type inferred here. They
 * describe what may cross the wire; each side adds its own transforms on top.
 * This file imports nothing relative, so Node can load it as it is.
 *
 * zod/mini: the same schemas as functions instead of methods, so a bundle
 * carries only the checks it uses (the Worker's budget is tens of KB).
 */

// zod/mini carries no messages of its own; the English ones say what was expected and what came.
z.config(en())

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
  .check(
    z.maxLength(DNS_LABEL_MAX, `must be at most ${DNS_LABEL_MAX} characters`),
    z.regex(
      DNS_LABEL,
      'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending alphanumeric',
    ),
  )

/** What a function or namespace name in a URL may look like; whether it exists is a separate question. */
export const pathName = z.string({ error: required('a string') }).check(
  z.regex(/^[-a-zA-Z_0-9.]+$/, 'may only contain letters, digits, "-", "_" and "."'),
  // Not only "." and "..": a server behind the provider may read any run of dots as a parent directory.
  z.refine((s) => !/^\.+$/.test(s), 'must not consist of dots only'),
)

/** Secret names become file names under /var/openfaas/secrets, so "." and ".." (and hidden files) are out. */
export const secretName = z
  .string({ error: required('a string') })
  .check(
    z.maxLength(253, 'must be at most 253 characters'),
    z.regex(
      /^[a-zA-Z0-9_][-a-zA-Z0-9_.]*$/,
      'must be letters, digits, "-", "_" and ".", not starting with "."',
    ),
  )

/** Go clients send "" (and sometimes null) for "no namespace": both mean the provider's default. */
export const namespaceField = z.pipe(
  z.nullish(z.union([z.literal(''), dnsLabel])),
  z.transform((ns) => ns || undefined),
)

const noNul = z.refine<string>((s) => !s.includes('\0'), 'must not contain NUL bytes')

export const stringMap = z.record(z.string(), z.string())

export const envVars = z.record(
  z.string().check(z.regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, 'must be a valid environment variable name')),
  z.string().check(noNul),
)

// The provider SDK's FunctionResources, GPU counts included, so a provider that stores them can echo them.
export const FunctionResources = z.object({
  memory: z.nullish(z.string()),
  cpu: z.nullish(z.string()),
  'nvidia.com/gpu': z.nullish(z.string()),
  'amd.com/gpu': z.nullish(z.string()),
  'intel.com/gpu': z.nullish(z.string()),
})

// Go clients send null for unset pointers and maps, so every optional field is nullish.
export const FunctionDeployment = z.object({
  service: dnsLabel,
  image: z.string({ error: required('a string') }).check(z.minLength(1, 'is required')),
  namespace: namespaceField,
  envProcess: z.nullish(z.string().check(noNul)),
  envVars: z.nullish(envVars),
  constraints: z.nullish(z.array(z.string())),
  secrets: z.nullish(z.array(secretName)),
  labels: z.nullish(stringMap),
  annotations: z.nullish(stringMap),
  limits: z.nullish(FunctionResources),
  requests: z.nullish(FunctionResources),
  readOnlyRootFilesystem: z.nullish(z.boolean()),
})
export type FunctionDeployment = z.infer<typeof FunctionDeployment>

// Go's time.Time reads and writes RFC 3339, with any fraction of a second.
export const rfc3339 = z.iso.datetime({ offset: true, error: 'must be an RFC3339 timestamp' })

export const FunctionStatus = z.object({
  name: z.string(),
  image: z.optional(z.string()),
  namespace: z.optional(z.string()),
  envProcess: z.optional(z.string()),
  envVars: z.optional(stringMap),
  constraints: z.optional(z.array(z.string())),
  secrets: z.optional(z.array(z.string())),
  labels: z.optional(stringMap),
  annotations: z.optional(stringMap),
  limits: z.optional(FunctionResources),
  requests: z.optional(FunctionResources),
  readOnlyRootFilesystem: z.optional(z.boolean()),
  invocationCount: z.optional(z.number()),
  replicas: z.optional(z.number()),
  availableReplicas: z.optional(z.number()),
  createdAt: z.optional(rfc3339),
  usage: z.optional(z.object({ cpu: z.optional(z.number()), totalMemoryBytes: z.optional(z.number()) })),
})
export type FunctionStatus = z.infer<typeof FunctionStatus>

export const DeleteFunctionRequest = z.object({
  functionName: dnsLabel,
  namespace: namespaceField,
})
export type DeleteFunctionRequest = z.infer<typeof DeleteFunctionRequest>

export const replicaCount = z.number({ error: required('a number') }).check(
  z.refine((n) => Number.isInteger(n), 'must be a whole number'),
  z.minimum(0, 'must not be negative'),
)

export const ScaleServiceRequest = z.object({
  serviceName: z.nullish(z.string()),
  replicas: replicaCount,
  namespace: namespaceField,
})
export type ScaleServiceRequest = z.infer<typeof ScaleServiceRequest>

export const Secret = z
  .object({
    name: secretName,
    namespace: namespaceField,
    value: z.nullish(z.string()),
    rawValue: z.nullish(z.base64('must be base64')),
  })
  .check(
    z.refine((s) => typeof s.value === 'string' || typeof s.rawValue === 'string', {
      message: 'value or rawValue is required',
    }),
  )
export type Secret = z.infer<typeof Secret>

/** A secret named for deletion: no value. */
export const SecretReference = z.object({ name: secretName, namespace: namespaceField })

export const NamespaceRequest = z.object({
  name: z.nullish(z.union([z.literal(''), dnsLabel])),
  labels: z.nullish(stringMap),
  annotations: z.nullish(stringMap),
})
export type NamespaceRequest = z.infer<typeof NamespaceRequest>

/** What a provider answers about one namespace; like the SDK type, empty labels and annotations may be left out. */
export const FunctionNamespace = z.object({
  name: z.string(),
  labels: z.optional(stringMap),
  annotations: z.optional(stringMap),
})
export type FunctionNamespace = z.infer<typeof FunctionNamespace>

// Go's strconv.ParseBool spellings, which is what faas-cli's `follow` goes through.
const TRUE = ['1', 't', 'T', 'true', 'TRUE', 'True']
const goBool = z.pipe(
  z.enum([...TRUE, '0', 'f', 'F', 'false', 'FALSE', 'False'], { error: 'must be true or false' }),
  z.transform((v) => TRUE.includes(v)),
)

export const LogQuery = z.object({
  name: pathName,
  namespace: z.optional(pathName),
  instance: z.optional(z.string()),
  // As in the OpenFaaS provider SDK: tail <= 0 means "all buffered lines".
  tail: z.optional(
    z.pipe(z.string().check(z.regex(/^-?\d+$/, 'must be a whole number')), z.transform(Number)),
  ),
  since: z.optional(rfc3339),
  follow: z.optional(goBool),
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
  sha: z.optional(z.string()),
  release: z.optional(z.string()),
  commit_message: z.optional(z.string()),
})

/** What a provider's /system/info answers; the gateway wraps it with its own version. */
export const ProviderInfo = z.looseObject({
  provider: z.optional(z.string()),
  orchestration: z.optional(z.string()),
  version: z.optional(VersionInfo),
})
export type ProviderInfo = z.infer<typeof ProviderInfo>

/** The gateway's /system/info: the provider's, its own version, and where it runs. */
export const GatewayInfo = z.object({ provider: ProviderInfo, version: VersionInfo, arch: z.string() })
export type GatewayInfo = z.infer<typeof GatewayInfo>

/** AlertManager's webhook body; only what scaling reads is checked, the rest may be anything. */
export const AlertRequest = z.looseObject({
  status: z.optional(z.string()),
  receiver: z.optional(z.string()),
  alerts: z.array(
    z.looseObject({
      status: z.enum(['firing', 'resolved'], { error: 'must be "firing" or "resolved"' }),
      labels: z.record(z.string(), z.string()),
    }),
  ),
})
export type AlertRequest = z.infer<typeof AlertRequest>
