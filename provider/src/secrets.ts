import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { conflict, notFound } from './errors.ts'
import { writeFileAtomicSync } from './store.ts'

export type Secrets = ReturnType<typeof createSecrets>

// Secret values per namespace. Values never leave the provider through the API; functions read the
// ones they declare as files (see sandbox.ts for where those files are mounted).
export function createSecrets(initial: Record<string, Record<string, string>>) {
  const byNamespace = new Map<string, Map<string, Buffer>>()
  for (const [namespace, secrets] of Object.entries(initial)) {
    byNamespace.set(
      namespace,
      new Map(Object.entries(secrets).map(([n, v]) => [n, Buffer.from(v, 'base64')])),
    )
  }

  const inNamespace = (namespace: string) => byNamespace.get(namespace) ?? new Map<string, Buffer>()

  function set(namespace: string, name: string, value: Buffer) {
    byNamespace.set(namespace, inNamespace(namespace).set(name, value))
  }

  return {
    has: (namespace: string, name: string) => inNamespace(namespace).has(name),
    get: (namespace: string, name: string) => inNamespace(namespace).get(name),
    list: (namespace: string) =>
      [...inNamespace(namespace).keys()].sort().map((name) => ({ name, namespace })),
    create(namespace: string, name: string, value: Buffer) {
      if (inNamespace(namespace).has(name))
        throw conflict(`secret ${name} already exists in namespace ${namespace}`)
      set(namespace, name, value)
    },
    update(namespace: string, name: string, value: Buffer) {
      if (!inNamespace(namespace).has(name))
        throw notFound(`secret ${name} not found in namespace ${namespace}`)
      set(namespace, name, value)
    },
    remove(namespace: string, name: string) {
      if (!inNamespace(namespace).delete(name))
        throw notFound(`secret ${name} not found in namespace ${namespace}`)
    },
    removeNamespace(namespace: string) {
      byNamespace.delete(namespace)
    },
    snapshot(): Record<string, Record<string, string>> {
      const out: Record<string, Record<string, string>> = {}
      for (const [namespace, secrets] of byNamespace) {
        if (secrets.size === 0) continue
        out[namespace] = Object.fromEntries(
          [...secrets].map(([name, value]) => [name, value.toString('base64')]),
        )
      }
      return out
    },
  }
}

// Makes `dir` hold exactly the given secrets, one 0600 file each. Synchronous on purpose: a handful of
// small files, and no other request can interleave between checking a deployment and materialising it.
// Files are replaced atomically because a running function may be reading them.
export function writeSecretFiles(dir: string, files: ReadonlyMap<string, Buffer>): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  for (const existing of readdirSync(dir)) {
    if (!files.has(existing)) rmSync(join(dir, existing), { force: true, recursive: true })
  }
  for (const [name, value] of files) writeFileAtomicSync(join(dir, name), value)
}
