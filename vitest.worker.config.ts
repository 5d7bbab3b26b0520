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
