import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'
import { BUDGET_BYTES, bundleSize, kib } from './bundle-size.ts'

const root = fileURLToPath(new URL('.', import.meta.url))
// Under ui/dist/ui/ so that in the Worker's assets (ui/dist) a file's path is its URL: /ui/assets/….
const outDir = fileURLToPath(new URL('./dist/ui', import.meta.url))

/** One line per build with the whole portal's size, and a failed build past the budget. */
function sizeBudget(): Plugin {
  return {
    name: 'edgefaas-size-budget',
    apply: 'build',
    closeBundle() {
      const size = bundleSize(outDir)
      console.log(
        `ui: ${size.files.length} files, ${kib(size.bytes)}, ${kib(size.gzip)} gzipped (budget ${kib(BUDGET_BYTES)})`,
      )
      if (size.gzip > BUDGET_BYTES)
        throw new Error(`the portal is ${kib(size.gzip)} gzipped, over its budget`)
    },
  }
}

export default defineConfig({
  root,
  base: '/ui/',
  // Preact's JSX runtime, without a plugin: Vite's own transformer does JSX.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    // No inline scripts or styles: the portal is served with a strict Content-Security-Policy.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  plugins: [sizeBudget()],
})
