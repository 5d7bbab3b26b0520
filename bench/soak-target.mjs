// What the soak runs against, and the memory of its processes: `npm start`
// (wrangler dev in front of the dev provider, as a newcomer runs it), or the
// production bundle served by workerd itself in front of the dev provider,
// which is what a deployment runs and so what the gateway's own memory is
// judged on. Each process is found by parent pid under the one the soak
// started, so nothing else on the machine is measured or stopped.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildBundle, freePort, startWorkerd } from '../scripts/production-worker.mjs'
import { startStack } from '../test/e2e/stack.ts'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Every process below `pid`, by parent pid, read from /proc. */
function descendants(pid) {
  const children = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch {}
  }
  const all = []
  const visit = (parent) => {
    for (const child of children.get(parent) ?? []) {
      all.push(child)
      visit(child)
    }
  }
  visit(pid)
  return all
}

/** The long-lived servers among `pids` (function processes come and go), RSS in MiB added up by kind. */
function rssByKind(pids) {
  const mib = { workerd: 0, wrangler: 0, provider: 0 }
  for (const pid of pids) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
      const kB = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
      // By the executable's own name: wrangler's Node process names workerd in its arguments.
      const kind =
        readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'workerd'
          ? 'workerd'
          : /provider\/src\/main\.ts/.test(cmdline)
            ? 'provider'
            : /wrangler/.test(cmdline)
              ? 'wrangler'
              : undefined
      if (kind) mib[kind] += kB / 1024
    } catch {}
  }
  return mib
}

/** `npm start` on free ports with its own provider state. */
async function npmStart({ coldStartMs }) {
  const stack = await startStack({ coldStartMs })
  return {
    gateway: stack.gateway,
    memory: () => rssByKind(descendants(stack.child.pid)),
    stop: async () => stack.stop(),
    kill: () => stack.stop(),
  }
}

/** The production bundle in workerd, in front of the dev provider in its own process. */
async function productionWorkerd({ coldStartMs }) {
  const dir = mkdtempSync(join(tmpdir(), 'edgefaas-soak-'))
  const port = await freePort()
  const provider = spawn(
    process.execPath,
    [
      'provider/src/main.ts',
      '--port',
      String(port),
      '--state-dir',
      dir,
      '--cold-start-ms',
      String(coldStartMs),
    ],
    { cwd: root, stdio: 'ignore' },
  )
  const bundleDir = buildBundle()
  const workerd = await startWorkerd({
    bundleDir,
    vars: { FUNCTIONS_PROVIDER_URL: `http://127.0.0.1:${port}` },
  })
  for (let i = 0; i < 240; i++) {
    if (
      await fetch(`${workerd.url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return {
    gateway: workerd.url,
    memory: () => rssByKind([workerd.pid, provider.pid]),
    stop: async () => {
      await workerd.close()
      provider.kill('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
      rmSync(bundleDir, { recursive: true, force: true })
    },
    // The last resort when the soak dies: nothing it started may outlive it.
    kill: () => {
      if (workerd.pid) process.kill(workerd.pid, 'SIGKILL')
      provider.kill('SIGKILL')
    },
  }
}

export const TARGETS = { npm: npmStart, workerd: productionWorkerd }
