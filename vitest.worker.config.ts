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
