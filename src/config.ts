import * as z from 'zod/mini'
import { parseByteSize } from './byte-size'
import { parseDuration } from './duration'
import { Policies } from './schemas/access'
import { describeIssues } from './schemas/issues'
import { dnsLabel } from './schemas/openfaas'

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i

const providerUrl = z.pipe(
  z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }),
  z.pipe(
    z.transform((raw: string) => new URL(raw)),
    z.custom<URL>().check(
      // Deployed Workers drop a custom port from https:// subrequests, which would
      // silently send every call to :443; only loopback (local dev) is exempt.
      z.refine((url) => url.protocol !== 'https:' || url.port === '' || LOOPBACK.test(url.hostname), {
        error:
          'https:// URLs with a custom port do not work on deployed Workers; expose the provider on 443, ' +
          'use http://, or put it behind a Cloudflare Tunnel',
      }),
      z.refine((url) => url.search === '' && url.hash === '', { error: 'must not have a query or fragment' }),
    ),
  ),
)

/** A base path is allowed (a provider behind a path prefix); its trailing slash is dropped once here. */
const withoutTrailingSlash = (url: URL) => url.href.replace(/\/+$/, '')

/** A setting that `read` turns into its value, or refuses with undefined: `"<raw>" is not <expected>`. */
function setting<T>(read: (raw: string) => T | undefined, expected: string) {
  return z.pipe(
    z.string(),
    z.transform((raw, ctx) => {
      const value = read(raw)
      if (value !== undefined) return value
      ctx.issues.push({ code: 'custom', message: `"${raw}" is not ${expected}`, input: raw })
      return z.NEVER
    }),
  )
}

/** A comma-separated list; the first entry that is not `valid` is refused: `"<entry>" is not <expected>`. */
function listSetting(
  normalise: (entry: string) => string,
  valid: (entry: string) => boolean,
  expected: string,
) {
  return z.pipe(
    z.string(),
    z.transform((raw, ctx) => {
      const list = raw.split(',').map(normalise).filter(Boolean)
      const bad = list.find((entry) => !valid(entry))
      if (bad === undefined) return list
      ctx.issues.push({ code: 'custom', message: `"${bad}" is not ${expected}`, input: raw })
      return z.NEVER
    }),
  )
}

const positive = (n: number | undefined) => (n !== undefined && n > 0 ? n : undefined)

const duration = setting(
  (raw) => positive(parseDuration(raw)),
  'a positive duration (e.g. 60s, 1m30s, 500ms, 60)',
)

/** A duration that may be 0, for windows where "none" is a meaningful choice. */
const durationOrZero = setting(parseDuration, 'a duration (e.g. 60s, 1m30s, 0s)')

const positiveNumber = setting(
  (raw) => positive(/^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(raw) ? Number(raw) : undefined),
  'a number above 0',
)

/** A share from 0 to 1, as sampling rates are written. */
const fraction = setting((raw) => {
  const n = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(raw) ? Number(raw) : Number.NaN
  return n >= 0 && n <= 1 ? n : undefined
}, 'a number from 0 to 1 (e.g. 0.1)')

const bool = z.pipe(
  z.enum(['true', 'false', '1', '0', ''], { error: 'must be true or false' }),
  z.transform((v) => v === 'true' || v === '1'),
)

const origins = listSetting(
  (s) => s.trim(),
  (origin) => origin === '*' || (URL.canParse(origin) && new URL(origin).origin === origin),
  'an origin like https://example.com',
)

const optionalSecret = z.optional(z.string())

const byteSize = setting(
  (raw) => positive(parseByteSize(raw)),
  'a positive size (e.g. 10MiB, 512KB, 1048576)',
)

// Each call may take this many function runs plus as many callback deliveries; both must fit under
// the queue's own max_retries (100), which would otherwise dead-letter the message first.
export const MAX_ATTEMPTS_LIMIT = 40

const attempts = setting((raw) => {
  const n = Number(raw.trim())
  return /^\d+$/.test(raw.trim()) && n >= 1 && n <= MAX_ATTEMPTS_LIMIT ? n : undefined
}, `a whole number from 1 to ${MAX_ATTEMPTS_LIMIT}`)

/** `api.example.com` matches that host only; `*.example.com` any host below it (not itself). */
const hosts = listSetting(
  (s) => s.trim().toLowerCase(),
  (entry) => {
    const host = entry.startsWith('*.') ? entry.slice(2) : entry
    return URL.canParse(`http://${host}/`) && new URL(`http://${host}/`).hostname === host
  },
  'a host name like api.example.com or *.example.com',
)

// Short keys make forgeable signatures; 32 characters is what `openssl rand -hex 16` prints.
const SIGNING_KEY_MIN = 32
const signingKey = z.optional(
  z.string().check(
    z.minLength(SIGNING_KEY_MIN, {
      error: `must be at least ${SIGNING_KEY_MIN} characters (try openssl rand -hex 32)`,
    }),
  ),
)

// Queues cannot delay a message by more than 12 hours.
const MAX_RETRY_WAIT_MS = 12 * 3_600_000

/**
 * The Authorization header the gateway sends the provider. Credentials are
 * UTF-8, as browsers and curl send them and as the gateway's own check
 * decodes them (btoa alone fails on anything outside Latin-1).
 */
function basicAuthorization(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return `Basic ${btoa(binary)}`
}

const schema = z.pipe(
  z
    .object({
      FUNCTIONS_PROVIDER_URL: providerUrl,
      UPSTREAM_TIMEOUT: z._default(duration, 60_000),
      BASIC_AUTH: z._default(bool, false),
      BASIC_AUTH_USER: optionalSecret,
      BASIC_AUTH_PASSWORD: optionalSecret,
      FUNCTION_NAMESPACE: z._default(dnsLabel, 'openfaas-fn'),
      CORS_ALLOWED_ORIGINS: z._default(origins, []),
      SCALE_FROM_ZERO: z._default(bool, true),
      SCALE_FROM_ZERO_POLL: z._default(duration, 100),
      SCALE_FROM_ZERO_TIMEOUT: z._default(duration, 60_000),
      REPLICA_CACHE_TTL: z._default(duration, 2_000),
      SYNC_INTERVAL: z._default(duration, 5_000),
      AUTOSCALE: z._default(bool, true),
      AUTOSCALE_TARGET: z._default(positiveNumber, 50),
      AUTOSCALE_DOWN_WINDOW: z._default(durationOrZero, 60_000),
      IDLE_AFTER: z._default(duration, 15 * 60_000),
      METRICS_TOKEN: optionalSecret,
      MAX_ASYNC_BODY: z._default(byteSize, 10 * 1024 * 1024),
      ASYNC_MAX_ATTEMPTS: z._default(attempts, 10),
      ASYNC_RETRY_INITIAL: z._default(duration, 10_000),
      ASYNC_RETRY_MAX_WAIT: z._default(duration, 120_000),
      ASYNC_RECORD_TTL: z._default(duration, 7 * 24 * 3_600_000),
      ASYNC_DEAD_LETTER_TTL: z._default(duration, 14 * 24 * 3_600_000),
      ASYNC_DEAD_LETTER_QUEUE: z._default(z.string().check(z.minLength(1)), 'edgefaas-async-dlq'),
      CALLBACK_ALLOWED_HOSTS: z._default(hosts, []),
      CALLBACK_SIGNING_KEY: signingKey,
      CALLBACK_TIMEOUT: z._default(duration, 30_000),
      AUTH_JWT_ISSUER: z.optional(z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' })),
      AUTH_JWT_AUDIENCE: z.optional(z.string()),
      AUTH_JWKS_URL: z.optional(z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' })),
      AUTH_POLICIES: z.optional(Policies),
      AUTH_INVOCATIONS: z._default(
        z.enum(['open', 'required'], { error: 'must be open or required' }),
        'open',
      ),
      LOG_CALLS: z._default(
        z.enum(['all', 'errors', 'none'], { error: 'must be all, errors or none' }),
        'all',
      ),
      LOG_SAMPLE: z._default(fraction, 1),
    })
    .check(
      z.superRefine((env, ctx) => {
        if (!env.BASIC_AUTH) return
        for (const key of ['BASIC_AUTH_USER', 'BASIC_AUTH_PASSWORD'] as const) {
          if (!env[key])
            ctx.addIssue({ code: 'custom', path: [key], message: 'is required when BASIC_AUTH=true' })
        }
        // Basic auth joins user and password with the first ":", so a user containing one could never log in.
        if (env.BASIC_AUTH_USER?.includes(':'))
          ctx.addIssue({ code: 'custom', path: ['BASIC_AUTH_USER'], message: 'must not contain ":"' })
      }),
      z.superRefine((env, ctx) => {
        // A token is only as scoped as its issuer and audience: both or neither.
        if (env.AUTH_JWT_ISSUER && !env.AUTH_JWT_AUDIENCE)
          ctx.addIssue({
            code: 'custom',
            path: ['AUTH_JWT_AUDIENCE'],
            message: 'is required with AUTH_JWT_ISSUER',
          })
        if (!env.AUTH_JWT_ISSUER)
          for (const key of ['AUTH_JWT_AUDIENCE', 'AUTH_JWKS_URL', 'AUTH_POLICIES'] as const)
            if (env[key] !== undefined)
              ctx.addIssue({ code: 'custom', path: [key], message: 'needs AUTH_JWT_ISSUER: JWT auth is off' })
      }),
      z.superRefine((env, ctx) => {
        if (env.ASYNC_RETRY_MAX_WAIT < env.ASYNC_RETRY_INITIAL)
          ctx.addIssue({
            code: 'custom',
            path: ['ASYNC_RETRY_MAX_WAIT'],
            message: 'must not be shorter than ASYNC_RETRY_INITIAL',
          })
        if (env.ASYNC_RETRY_MAX_WAIT > MAX_RETRY_WAIT_MS)
          ctx.addIssue({
            code: 'custom',
            path: ['ASYNC_RETRY_MAX_WAIT'],
            message: 'must be at most 12h, the longest a queue can delay a message',
          })
      }),
    ),
  z.transform((env) => ({
    providerUrl: withoutTrailingSlash(env.FUNCTIONS_PROVIDER_URL),
    providerOrigin: env.FUNCTIONS_PROVIDER_URL.origin,
    providerPath: env.FUNCTIONS_PROVIDER_URL.pathname.replace(/\/$/, ''),
    upstreamTimeoutMs: env.UPSTREAM_TIMEOUT,
    defaultNamespace: env.FUNCTION_NAMESPACE,
    corsOrigins: env.CORS_ALLOWED_ORIGINS,
    scaleFromZero: env.SCALE_FROM_ZERO,
    scaleFromZeroPollMs: env.SCALE_FROM_ZERO_POLL,
    scaleFromZeroTimeoutMs: env.SCALE_FROM_ZERO_TIMEOUT,
    replicaCacheTtlMs: env.REPLICA_CACHE_TTL,
    syncIntervalMs: env.SYNC_INTERVAL,
    autoscale: env.AUTOSCALE,
    autoscaleTarget: env.AUTOSCALE_TARGET,
    autoscaleDownWindowMs: env.AUTOSCALE_DOWN_WINDOW,
    idleAfterMs: env.IDLE_AFTER,
    metricsToken: env.METRICS_TOKEN,
    log: { calls: env.LOG_CALLS, sample: env.LOG_SAMPLE },
    async: {
      maxBodyBytes: env.MAX_ASYNC_BODY,
      maxAttempts: env.ASYNC_MAX_ATTEMPTS,
      retryInitialMs: env.ASYNC_RETRY_INITIAL,
      retryMaxWaitMs: env.ASYNC_RETRY_MAX_WAIT,
      recordTtlMs: env.ASYNC_RECORD_TTL,
      deadLetterTtlMs: env.ASYNC_DEAD_LETTER_TTL,
      deadLetterQueue: env.ASYNC_DEAD_LETTER_QUEUE,
      callbackHosts: env.CALLBACK_ALLOWED_HOSTS,
      signingKey: env.CALLBACK_SIGNING_KEY,
      callbackTimeoutMs: env.CALLBACK_TIMEOUT,
    },
    jwt:
      env.AUTH_JWT_ISSUER && env.AUTH_JWT_AUDIENCE
        ? {
            issuer: env.AUTH_JWT_ISSUER,
            audience: env.AUTH_JWT_AUDIENCE,
            jwksUrl: env.AUTH_JWKS_URL,
            roles: env.AUTH_POLICIES?.roles ?? [],
            invocations: env.AUTH_INVOCATIONS,
          }
        : undefined,
    credentials:
      env.BASIC_AUTH && env.BASIC_AUTH_USER && env.BASIC_AUTH_PASSWORD
        ? {
            username: env.BASIC_AUTH_USER,
            password: env.BASIC_AUTH_PASSWORD,
            header: basicAuthorization(env.BASIC_AUTH_USER, env.BASIC_AUTH_PASSWORD),
          }
        : undefined,
  })),
)

export type Config = z.output<typeof schema>

export type ConfigResult = { ok: true; config: Config } | { ok: false; error: string }

// Bindings are fixed for the life of an isolate, so parse each env object once.
const cache = new WeakMap<object, ConfigResult>()

export function loadConfig(env: object): ConfigResult {
  let result = cache.get(env)
  if (!result) {
    result = parseConfig(env)
    if (!result.ok) console.error(result.error)
    cache.set(env, result)
  }
  return result
}

export function parseConfig(env: object): ConfigResult {
  // Empty strings mean "unset" for optional variables (wrangler.toml cannot omit a var per environment).
  const values = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''))
  const parsed = schema.safeParse(values, { reportInput: true })
  if (parsed.success) return { ok: true, config: parsed.data }
  return {
    ok: false,
    error: `edgefaas configuration error: ${describeIssues(parsed.error, 'configuration')}`,
  }
}
