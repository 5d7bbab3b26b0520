import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import * as z from 'zod/mini'
import { describeIssues } from '../../src/schemas/issues.ts'
import { dnsLabel } from './schemas.ts'

// The provider's configuration, whether it comes from startProvider() options or from the command line
// and environment. One schema, so both entry points refuse the same bad values.
const wholeNumber = (min: number, max: number) =>
  z.number({ error: 'must be a whole number' }).check(
    z.refine((n) => Number.isInteger(n), 'must be a whole number'),
    z.minimum(min, `must be at least ${min}`),
    z.maximum(max, `must be at most ${max}`),
  )

export const ProviderConfig = z.object({
  port: z._default(wholeNumber(0, 65535), 8081),
  stateDir: z._default(z.string().check(z.minLength(1)), '.edgefaas'),
  coldStartMs: z._default(wholeNumber(0, 600_000), 1000),
  defaultNamespace: z._default(dnsLabel, 'openfaas-fn'),
  // auto: private mount namespaces when root with unshare, else a directory per function.
  secretsMode: z._default(z.enum(['auto', 'namespace', 'directory']), 'auto'),
  // Function log lines buffered per function for /system/logs.
  logLines: z._default(wholeNumber(1, 1_000_000), 1000),
})
export type ProviderConfig = z.output<typeof ProviderConfig>
export type ProviderConfigInput = z.input<typeof ProviderConfig>

export function resolveConfig(input: ProviderConfigInput): ProviderConfig {
  const parsed = ProviderConfig.safeParse(input)
  if (!parsed.success) throw new Error(`invalid provider options: ${describeIssues(parsed.error)}`)
  return { ...parsed.data, stateDir: resolve(parsed.data.stateDir) }
}

// Each setting's flag and environment variable; a flag wins over the variable.
const SOURCES = {
  port: { flag: 'port', env: 'PORT', number: true },
  stateDir: { flag: 'state-dir', env: 'EDGEFAAS_STATE_DIR', number: false },
  coldStartMs: { flag: 'cold-start-ms', env: 'EDGEFAAS_COLD_START_MS', number: true },
  defaultNamespace: { flag: 'default-namespace', env: 'EDGEFAAS_DEFAULT_NAMESPACE', number: false },
  secretsMode: { flag: 'secrets-mode', env: 'EDGEFAAS_SECRETS_MODE', number: false },
  logLines: { flag: 'log-lines', env: 'EDGEFAAS_LOG_LINES', number: true },
} as const

export const USAGE = `Usage: node --experimental-strip-types provider/src/main.ts [options]

Options (each also read from the environment variable shown):
  --port <n>                 PORT                        listen port on 127.0.0.1 (default 8081; 0 = any free port)
  --state-dir <dir>          EDGEFAAS_STATE_DIR          where functions, namespaces and secrets persist (default .edgefaas)
  --cold-start-ms <ms>       EDGEFAAS_COLD_START_MS      delay before a new replica is ready (default 1000)
  --default-namespace <ns>   EDGEFAAS_DEFAULT_NAMESPACE  namespace used when a request names none (default openfaas-fn)
  --secrets-mode <mode>      EDGEFAAS_SECRETS_MODE       auto | namespace | directory (default auto)
  --log-lines <n>            EDGEFAAS_LOG_LINES          log lines kept per function (default 1000)
  -h, --help                                             show this help
`

// Command line and environment to a validated config; a bad value throws an error naming its flag
// and variable.
export function configFromCli(argv: string[], env: NodeJS.ProcessEnv): ProviderConfig | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...Object.fromEntries(Object.values(SOURCES).map((s) => [s.flag, { type: 'string' as const }])),
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help === true) return 'help'
  const flags: Record<string, string | boolean | undefined> = values
  const input: Record<string, unknown> = {}
  for (const [key, source] of Object.entries(SOURCES)) {
    const raw = flags[source.flag] ?? env[source.env]
    if (raw === undefined || raw === true) continue
    input[key] = source.number && /^-?\d+$/.test(String(raw).trim()) ? Number(raw) : raw
  }
  const parsed = ProviderConfig.safeParse(input)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const source = SOURCES[issue.path[0] as keyof typeof SOURCES]
      const value = input[issue.path[0] as string]
      return `--${source.flag} / ${source.env} = ${JSON.stringify(value)}: ${issue.message}`
    })
    throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`)
  }
  return { ...parsed.data, stateDir: resolve(parsed.data.stateDir) }
}
