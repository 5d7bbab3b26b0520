import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import * as z from 'zod/mini'
import { describeIssues } from '../../src/schemas/issues.ts'
import { dnsLabel, FunctionSpec, NamespaceMeta, rfc3339, secretName } from './schemas.ts'

// What survives a restart: namespaces and functions in state.json, secret values in secrets.json.
// Logs and invocation counts are runtime facts and are not kept.

export const StoredFunction = z.object({
  namespace: dnsLabel,
  spec: FunctionSpec,
  replicas: z.int().check(z.minimum(0)),
  createdAt: rfc3339,
})
export type StoredFunction = z.infer<typeof StoredFunction>

const StateFile = z.object({
  version: z.literal(1),
  namespaces: z.record(dnsLabel, NamespaceMeta),
  functions: z.array(StoredFunction),
})
export type StateFile = z.infer<typeof StateFile>

// Secret values as base64, so binary rawValues round-trip.
const SecretsFile = z.object({
  version: z.literal(1),
  secrets: z.record(dnsLabel, z.record(secretName, z.base64())),
})
export type SecretsFile = z.infer<typeof SecretsFile>

const EMPTY_STATE: StateFile = { version: 1, namespaces: {}, functions: [] }
const EMPTY_SECRETS: SecretsFile = { version: 1, secrets: {} }

export type Store = ReturnType<typeof createStore>

export function createStore(dir: string) {
  const statePath = join(dir, 'state.json')
  const secretsPath = join(dir, 'secrets.json')
  // One write at a time per file, so an older snapshot can never land after a newer one.
  let writes: Promise<void> = Promise.resolve()

  function enqueue(path: string, data: unknown): Promise<void> {
    const text = `${JSON.stringify(data, null, 2)}\n`
    const write = writes.then(() => writeFileAtomic(path, text))
    writes = write.catch(() => {})
    return write
  }

  return {
    dir,
    async load(): Promise<{ state: StateFile; secrets: SecretsFile }> {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      return {
        state: await readJsonFile(statePath, StateFile, EMPTY_STATE),
        secrets: await readJsonFile(secretsPath, SecretsFile, EMPTY_SECRETS),
      }
    },
    saveState: (state: StateFile) => enqueue(statePath, state),
    saveSecrets: (secrets: SecretsFile) => enqueue(secretsPath, secrets),
    flush: () => writes,
  }
}

async function readJsonFile<T extends z.ZodMiniType>(
  path: string,
  schema: T,
  fallback: z.output<T>,
): Promise<z.output<T>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback
    throw error
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new Error(`${path} is not valid JSON (${(error as Error).message}); fix or remove it`)
  }
  const parsed = schema.safeParse(raw)
  if (!parsed.success) throw new Error(`${path} is not a valid state file: ${describeIssues(parsed.error)}`)
  return parsed.data
}

// Write a sibling temporary file, flush it to disk, then rename it over the target: a crash leaves
// either the old or the new file, never half of one. Mode 0600 because both files can hold secrets
// (secret values, and envVars people put credentials in).
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    const file = await open(temporary, 'wx', 0o600)
    try {
      await file.writeFile(data)
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

export function writeFileAtomicSync(path: string, data: Uint8Array): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    const fd = openSync(temporary, 'wx', 0o600)
    try {
      writeFileSync(fd, data)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temporary, path)
  } catch (error) {
    rmSync(temporary, { force: true })
    throw error
  }
}
