#!/usr/bin/env node
// Runs wrangler with the build's git sha and commit message defined, so that
// /system/info reports what is running. Usage: node scripts/wrangler.mjs <wrangler args…>
import { execFileSync, spawn } from 'node:child_process'

function git(...args) {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return ''
  }
}

const sha = git('rev-parse', '--short=12', 'HEAD') || 'unknown'
const message = git('log', '-1', '--format=%s')
const defines = [
  '--define',
  `__EDGEFAAS_SHA__:${JSON.stringify(sha)}`,
  '--define',
  `__EDGEFAAS_COMMIT_MESSAGE__:${JSON.stringify(message)}`,
]

// Local development works offline: no usage metrics, and the placeholder
// Request.cf object instead of downloading one.
const env = {
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  ...process.env,
}

const child = spawn('wrangler', [...process.argv.slice(2), ...defines], {
  stdio: 'inherit',
  shell: false,
  env,
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
