// The gateway under `wrangler dev` on 127.0.0.1, pointed at a provider: what
// `npm start` and the load benchmark both run.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const wrangler = fileURLToPath(new URL('./wrangler.mjs', import.meta.url))

export function spawnDevGateway({ port, providerUrl, extraArgs = [], ...options }) {
  return spawn(
    process.execPath,
    [
      wrangler,
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--var',
      `FUNCTIONS_PROVIDER_URL:${providerUrl}`,
      ...extraArgs,
    ],
    options,
  )
}

/**
 * The gateway as a benchmark runs it: errors only, in a process group of its
 * own so that `stop()` ends wrangler and the workerd it started together.
 */
export function spawnBenchGateway({ port, providerUrl }) {
  const child = spawnDevGateway({
    port,
    providerUrl,
    extraArgs: ['--log-level', 'error'],
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  })
  return {
    child,
    stop() {
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {}
    },
  }
}
