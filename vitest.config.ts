import { defineConfig } from 'vitest/config'

// Two projects: the Worker's tests run inside workerd, the dev provider's and
// the end-to-end tests run on Node.
export default defineConfig({
  test: {
    projects: ['./vitest.worker.config.ts', './vitest.node.config.ts'],
    // The call log writes a JSON line per call (README, "Observability"); test/worker/call-log.test.ts reads
    // them, and printing the thousands the other tests cause would bury what matters in the output.
    onConsoleLog: (log) => !log.startsWith('{"kind":'),
  },
})
