import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { startProvider } from '../../provider/src/provider.ts'
import { startUpstream } from '../upstream/server.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    upstreamUrl: string
    devProviderUrl: string
    devProviderSecretsMode: string
  }
}

// Two real servers on loopback: the recording upstream most gateway tests
// assert against, and the dev provider for the end-to-end tests.
export default async function setup(project: TestProject) {
  const upstream = await startUpstream()
  const stateDir = mkdtempSync(join(tmpdir(), 'edgefaas-e2e-'))
  const provider = await startProvider({ port: 0, stateDir, coldStartMs: 50, log: () => {} })
  project.provide('upstreamUrl', upstream.url)
  project.provide('devProviderUrl', provider.url)
  project.provide('devProviderSecretsMode', provider.secretsMode)
  return async () => {
    await provider.close()
    rmSync(stateDir, { recursive: true, force: true })
    await new Promise<void>((resolve) => upstream.server.close(() => resolve()))
  }
}
