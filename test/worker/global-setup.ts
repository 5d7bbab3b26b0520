import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { startProvider } from '../../provider/src/provider.ts'
import { startCallbacks } from '../upstream/callbacks.ts'
import { startIdentity } from '../upstream/identity.ts'
import { startUpstream } from '../upstream/server.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    upstreamUrl: string
    devProviderUrl: string
    devProviderSecretsMode: string
    callbackUrl: string
    callbackSigningKey: string
    identityUrl: string
    identityKeys: string
  }
}

// Real servers on loopback: the recording upstream most gateway tests assert
// against, the dev provider for the end-to-end tests, and the receiver of
// asynchronous calls' callbacks, which checks their signatures.
export default async function setup(project: TestProject) {
  const upstream = await startUpstream()
  const signingKey = randomBytes(32).toString('hex')
  const callbacks = await startCallbacks(signingKey)
  const stateDir = mkdtempSync(join(tmpdir(), 'edgefaas-e2e-'))
  const provider = await startProvider({ port: 0, stateDir, coldStartMs: 50, log: () => {} })
  const identity = await startIdentity()
  project.provide('upstreamUrl', upstream.url)
  project.provide('devProviderUrl', provider.url)
  project.provide('devProviderSecretsMode', provider.secretsMode)
  project.provide('callbackUrl', callbacks.url)
  project.provide('callbackSigningKey', signingKey)
  project.provide('identityUrl', identity.url)
  project.provide('identityKeys', JSON.stringify(identity.keys))
  return async () => {
    await callbacks.close()
    await identity.close()
    await provider.close()
    rmSync(stateDir, { recursive: true, force: true })
    await new Promise<void>((resolve) => upstream.server.close(() => resolve()))
  }
}
