import { defineConfig } from 'vitest/config'

// Two projects: the Worker's tests run inside workerd, the dev provider's and
// the end-to-end tests run on Node.
export default defineConfig({
  test: {
    projects: ['./vitest.worker.config.ts', './vitest.node.config.ts'],
  },
})
