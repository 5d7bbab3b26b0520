import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    name: 'node',
    include: [
      'test/provider/**/*.test.ts',
      'test/e2e/**/*.test.ts',
      'test/raw/**/*.test.ts',
      'test/faults/**/*.test.ts',
      'test/loop/**/*.test.ts',
      'test/ui/**/*.test.ts',
      'test/isolates/**/*.test.ts',
      'test/layout/**/*.test.ts',
      'test/websocket/**/*.test.ts',
    ],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
