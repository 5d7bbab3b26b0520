import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          FUNCTIONS_PROVIDER_URL: inject('upstreamUrl'),
          UPSTREAM_TIMEOUT: '2s',
          // Short enough that the replica sync loop's start and stop fit in a test.
          SYNC_INTERVAL: '300ms',
          // Read by the end-to-end tests, which point the gateway at the real dev provider.
          DEV_PROVIDER_URL: inject('devProviderUrl'),
          DEV_PROVIDER_SECRETS_MODE: inject('devProviderSecretsMode'),
          CALLBACK_RECEIVER_URL: inject('callbackUrl'),
          CALLBACK_SIGNING_KEY: inject('callbackSigningKey'),
          // An OpenID provider on loopback (test/upstream/identity.ts), for the scoped-access tests.
          IDENTITY_URL: inject('identityUrl'),
          IDENTITY_KEYS: inject('identityKeys'),
          // Retries within a second, not the production 10 s to 2 min.
          ASYNC_RETRY_INITIAL: '1s',
          ASYNC_RETRY_MAX_WAIT: '1s',
        },
        // Batches go to the consumer as soon as they are sent, not after wrangler.toml's 1 s.
        queueConsumers: {
          'edgefaas-async': { maxBatchTimeout: 0.05 },
          'edgefaas-async-dlq': { maxBatchTimeout: 0.05 },
        },
      },
    })),
  ],
  test: {
    name: 'worker',
    include: ['test/worker/**/*.test.ts'],
    globalSetup: ['test/worker/global-setup.ts'],
  },
})
