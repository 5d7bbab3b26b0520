import { spawnSync } from 'node:child_process'
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

// Where a function finds its secrets. OpenFaaS mounts them at /var/openfaas/secrets/<name>; on one
// machine without containers we get the same view with a private mount namespace per process, in which
// the function's own secrets directory is bind-mounted (read-only) over /var/openfaas/secrets. That needs
// root and util-linux's unshare. Without them, the function gets its secrets directory's path in
// `secret_mount_path`, the variable OpenFaaS's SDKs already honour for a non-default location.

export const SECRETS_MOUNT = '/var/openfaas/secrets'
export type SecretsMode = 'namespace' | 'directory'
export type Command = { file: string; args: string[]; env: Record<string, string> }
export type Sandbox = {
  mode: SecretsMode
  reason: string
  wrap(argv: readonly string[], secretsDir: string): Command
}

// The function's argv stays separate arguments: sh only runs this fixed script, which execs "$@".
const mountScript = (mount: string) =>
  `${mount} --bind "$1" ${SECRETS_MOUNT} && ${mount} -o remount,bind,ro ${SECRETS_MOUNT} && shift && exec "$@"`

const direct: Sandbox['wrap'] = ([file = '', ...args], secretsDir) => ({
  file,
  args,
  env: { secret_mount_path: secretsDir },
})

export function createSandbox(requested: 'auto' | SecretsMode): Sandbox {
  if (requested === 'directory') return { mode: 'directory', reason: 'requested', wrap: direct }
  const tools = namespaceTools()
  if (typeof tools === 'string') {
    if (requested === 'namespace') throw new Error(`secrets mode "namespace" is not available: ${tools}`)
    return { mode: 'directory', reason: tools, wrap: direct }
  }
  return { mode: 'namespace', reason: 'running as root with unshare', wrap: tools }
}

// A wrapper that runs argv in a private mount namespace, or why that is not possible here. The answer
// comes from a real trial run, not from guessing at capabilities.
function namespaceTools(): Sandbox['wrap'] | string {
  if (process.platform !== 'linux') return 'not Linux'
  if (process.getuid?.() !== 0) return 'not running as root'
  const [unshare, mount, sh] = ['unshare', 'mount', 'sh'].map(which)
  if (unshare === undefined || mount === undefined || sh === undefined)
    return 'unshare, mount or sh not found on PATH'
  try {
    mkdirSync(SECRETS_MOUNT, { recursive: true })
  } catch (error) {
    return `cannot create ${SECRETS_MOUNT}: ${(error as Error).message}`
  }
  const script = mountScript(mount)
  const wrap: Sandbox['wrap'] = (argv, secretsDir) => ({
    file: unshare,
    args: [
      '--mount',
      '--propagation',
      'private',
      '--',
      sh,
      '-c',
      script,
      'edgefaas-secrets',
      secretsDir,
      ...argv,
    ],
    env: {},
  })
  const probe = mkdtempSync(join(tmpdir(), 'edgefaas-probe-'))
  try {
    const { file, args } = wrap(['true'], probe)
    const result = spawnSync(file, args, { encoding: 'utf8', timeout: 5000 })
    if (result.error) return `cannot run unshare: ${result.error.message}`
    if (result.status !== 0)
      return `unshare trial run failed: ${result.stderr.trim() || `exit ${result.status}`}`
    return wrap
  } finally {
    rmSync(probe, { recursive: true, force: true })
  }
}

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const path = join(dir, name)
    try {
      accessSync(path, constants.X_OK)
      return path
    } catch {}
  }
  return undefined
}
