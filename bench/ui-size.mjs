// The portal's size as a browser downloads it: every built file, raw and gzipped, against the budget.
// Run after `npm run build:ui` (the `prebench` script does it).
import { fileURLToPath } from 'node:url'
import { BUDGET_BYTES, bundleSize, kib } from '../ui/bundle-size.ts'

const dir = fileURLToPath(new URL('../ui/dist/ui', import.meta.url))
const size = bundleSize(dir)
console.log('\nportal (ui/dist/ui)\n')
console.log('| file | bytes | gzipped |\n|---|---|---|')
for (const file of size.files) console.log(`| ${file.name} | ${kib(file.bytes)} | ${kib(file.gzip)} |`)
console.log(`| total | ${kib(size.bytes)} | ${kib(size.gzip)} (budget ${kib(BUDGET_BYTES)}) |`)
if (size.gzip > BUDGET_BYTES) process.exitCode = 1
