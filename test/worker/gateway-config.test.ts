import { createExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import { parseByteSize } from '../../src/byte-size'
import { parseConfig } from '../../src/config'
import { parseDuration } from '../../src/duration'
import worker from '../../src/index'
import { gatewayWith, loggedErrors, received, tag } from './helpers'

describe('configuration', () => {
  it.each([
    [{ FUNCTIONS_PROVIDER_URL: '' }, 'FUNCTIONS_PROVIDER_URL is required'],
    [{ FUNCTIONS_PROVIDER_URL: 'not a url' }, 'FUNCTIONS_PROVIDER_URL must be an absolute http(s) URL'],
    [
      { FUNCTIONS_PROVIDER_URL: 'ftp://provider.example' },
      'FUNCTIONS_PROVIDER_URL must be an absolute http(s) URL',
    ],
    [
      { FUNCTIONS_PROVIDER_URL: 'https://provider.example:8443' },
      'FUNCTIONS_PROVIDER_URL https:// URLs with a custom port',
    ],
    [
      { FUNCTIONS_PROVIDER_URL: 'http://provider.example?x=1' },
      'FUNCTIONS_PROVIDER_URL must not have a query',
    ],
    [{ UPSTREAM_TIMEOUT: 'soon' }, 'UPSTREAM_TIMEOUT "soon" is not a positive duration'],
    [{ UPSTREAM_TIMEOUT: '0s' }, 'UPSTREAM_TIMEOUT "0s" is not a positive duration'],
    [{ BASIC_AUTH: 'yes' }, 'BASIC_AUTH must be true or false'],
    [{ FUNCTION_NAMESPACE: 'Not Valid' }, 'FUNCTION_NAMESPACE must be a DNS-1123 label'],
    [{ AUTOSCALE: 'on' }, 'AUTOSCALE must be true or false'],
    [{ AUTOSCALE_TARGET: '0' }, 'AUTOSCALE_TARGET "0" is not a number above 0'],
    [{ AUTOSCALE_TARGET: 'lots' }, 'AUTOSCALE_TARGET "lots" is not a number above 0'],
    [{ AUTOSCALE_DOWN_WINDOW: 'a while' }, 'AUTOSCALE_DOWN_WINDOW "a while" is not a duration'],
    [{ IDLE_AFTER: '0s' }, 'IDLE_AFTER "0s" is not a positive duration'],
    [
      { CORS_ALLOWED_ORIGINS: 'https://ok.example,example.com/path' },
      'CORS_ALLOWED_ORIGINS "example.com/path" is not an origin',
    ],
    [{ MAX_ASYNC_BODY: '10 parsecs' }, 'MAX_ASYNC_BODY "10 parsecs" is not a positive size'],
    [{ ASYNC_MAX_ATTEMPTS: '0' }, 'ASYNC_MAX_ATTEMPTS "0" is not a whole number from 1 to 40'],
    [{ ASYNC_MAX_ATTEMPTS: '41' }, 'ASYNC_MAX_ATTEMPTS "41" is not a whole number from 1 to 40'],
    [
      { ASYNC_RETRY_INITIAL: '2m', ASYNC_RETRY_MAX_WAIT: '1m' },
      'ASYNC_RETRY_MAX_WAIT must not be shorter than ASYNC_RETRY_INITIAL',
    ],
    [{ ASYNC_RETRY_MAX_WAIT: '13h' }, 'ASYNC_RETRY_MAX_WAIT must be at most 12h'],
    [
      { CALLBACK_ALLOWED_HOSTS: 'api.example.com, https://x.example' },
      'CALLBACK_ALLOWED_HOSTS "https://x.example" is not a host name',
    ],
    [{ CALLBACK_SIGNING_KEY: 'short' }, 'CALLBACK_SIGNING_KEY must be at least 32 characters'],
  ])('answers every request 500 naming the bad variable, and logs it: %j', async (vars, message) => {
    const t = tag()
    const logged = await loggedErrors(async () => {
      for (const path of ['/function/echo', '/system/functions', '/healthz']) {
        const res = await gatewayWith(vars, path, { headers: t.headers })
        expect(res.status).toBe(500)
        expect(await res.text()).toContain(message)
      }
    })
    expect(logged).toContain(message)
    expect(await received(t.id)).toEqual([])
  })

  it('logs a configuration error once per deployment, not per request', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    const broken = { ...env, UPSTREAM_TIMEOUT: 'never' }
    for (let i = 0; i < 3; i++) {
      const res = await worker.fetch(
        new Request('http://gateway.test/healthz'),
        broken,
        createExecutionContext(),
      )
      expect(res.status).toBe(500)
    }
    expect(spy).toHaveBeenCalledTimes(1)
    spy.mockRestore()
  })

  it('parses every setting into the typed config', () => {
    const result = parseConfig({
      FUNCTIONS_PROVIDER_URL: 'https://provider.example/base/',
      UPSTREAM_TIMEOUT: '1m30s',
      BASIC_AUTH: 'true',
      BASIC_AUTH_USER: 'admin',
      BASIC_AUTH_PASSWORD: 'pw',
      FUNCTION_NAMESPACE: 'fns',
      CORS_ALLOWED_ORIGINS: 'https://a.example, http://localhost:3000',
      SCALE_FROM_ZERO: 'false',
      SCALE_FROM_ZERO_POLL: '250ms',
      SCALE_FROM_ZERO_TIMEOUT: '2m',
      REPLICA_CACHE_TTL: '500ms',
      SYNC_INTERVAL: '2s',
      AUTOSCALE: 'false',
      AUTOSCALE_TARGET: '12.5',
      AUTOSCALE_DOWN_WINDOW: '0s',
      IDLE_AFTER: '90s',
      METRICS_TOKEN: 'scrape-me',
      LOG_CALLS: 'errors',
      LOG_SAMPLE: '0.5',
      MAX_ASYNC_BODY: '2MB',
      ASYNC_MAX_ATTEMPTS: '3',
      ASYNC_RETRY_INITIAL: '5s',
      ASYNC_RETRY_MAX_WAIT: '1m',
      ASYNC_RECORD_TTL: '24h',
      ASYNC_DEAD_LETTER_TTL: '48h',
      ASYNC_DEAD_LETTER_QUEUE: 'fns-dlq',
      CALLBACK_ALLOWED_HOSTS: 'Hooks.example.com, *.example.net',
      CALLBACK_SIGNING_KEY: 'k'.repeat(32),
      CALLBACK_TIMEOUT: '10s',
    })
    expect(result).toEqual({
      ok: true,
      config: {
        providerUrl: 'https://provider.example/base',
        providerOrigin: 'https://provider.example',
        providerPath: '/base',
        upstreamTimeoutMs: 90_000,
        defaultNamespace: 'fns',
        corsOrigins: ['https://a.example', 'http://localhost:3000'],
        scaleFromZero: false,
        scaleFromZeroPollMs: 250,
        scaleFromZeroTimeoutMs: 120_000,
        replicaCacheTtlMs: 500,
        syncIntervalMs: 2_000,
        autoscale: false,
        autoscaleTarget: 12.5,
        autoscaleDownWindowMs: 0,
        idleAfterMs: 90_000,
        metricsToken: 'scrape-me',
        log: { calls: 'errors', sample: 0.5 },
        async: {
          maxBodyBytes: 2_000_000,
          maxAttempts: 3,
          retryInitialMs: 5_000,
          retryMaxWaitMs: 60_000,
          recordTtlMs: 86_400_000,
          deadLetterTtlMs: 172_800_000,
          deadLetterQueue: 'fns-dlq',
          callbackHosts: ['hooks.example.com', '*.example.net'],
          signingKey: 'k'.repeat(32),
          callbackTimeoutMs: 10_000,
        },
        credentials: { username: 'admin', password: 'pw', header: `Basic ${btoa('admin:pw')}` },
      },
    })
  })

  it('defaults what may be omitted', () => {
    expect(parseConfig({ FUNCTIONS_PROVIDER_URL: 'http://127.0.0.1:8081' })).toEqual({
      ok: true,
      config: {
        providerUrl: 'http://127.0.0.1:8081',
        providerOrigin: 'http://127.0.0.1:8081',
        providerPath: '',
        upstreamTimeoutMs: 60_000,
        defaultNamespace: 'openfaas-fn',
        corsOrigins: [],
        scaleFromZero: true,
        scaleFromZeroPollMs: 100,
        scaleFromZeroTimeoutMs: 60_000,
        replicaCacheTtlMs: 2_000,
        syncIntervalMs: 5_000,
        autoscale: true,
        autoscaleTarget: 50,
        autoscaleDownWindowMs: 60_000,
        idleAfterMs: 900_000,
        log: { calls: 'all', sample: 1 },
        metricsToken: undefined,
        async: {
          maxBodyBytes: 10 * 1024 * 1024,
          maxAttempts: 10,
          retryInitialMs: 10_000,
          retryMaxWaitMs: 120_000,
          recordTtlMs: 7 * 24 * 3_600_000,
          deadLetterTtlMs: 14 * 24 * 3_600_000,
          deadLetterQueue: 'edgefaas-async-dlq',
          callbackHosts: [],
          signingKey: undefined,
          callbackTimeoutMs: 30_000,
        },
        credentials: undefined,
      },
    })
  })

  it('allows a custom https port on loopback, where local development needs it', () => {
    expect(parseConfig({ FUNCTIONS_PROVIDER_URL: 'https://127.0.0.1:8443' }).ok).toBe(true)
    expect(parseConfig({ FUNCTIONS_PROVIDER_URL: 'https://localhost:8443' }).ok).toBe(true)
  })
})

describe('parseDuration', () => {
  it.each([
    ['60', 60_000],
    ['1.5', 1500],
    ['60s', 60_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1h2m3s4ms', 3_723_004],
    ['1.5s', 1500],
    ['250000us', 250],
    ['250us', 0.25],
    ['250µs', 0.25],
    ['.5s', 500],
    ['0', 0],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each(['', 's', '10 s', '2sec', '-5s', '1d', 'abc', '1m x'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined()
  })
})

describe('parseByteSize', () => {
  it.each([
    ['1048576', 1_048_576],
    ['10MiB', 10_485_760],
    ['10 MB', 10_000_000],
    ['512kib', 524_288],
    ['1GB', 1_000_000_000],
    ['7b', 7],
  ])('%s is %i bytes', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes)
  })

  it.each(['', 'MB', '1.5MB', '-1', '10 parsecs', '1TB'])('rejects %j', (text) => {
    expect(parseByteSize(text)).toBeUndefined()
  })
})
