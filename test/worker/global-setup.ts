import type { TestProject } from 'vitest/node'
import { startUpstream } from '../upstream/server'

declare module 'vitest' {
  export interface ProvidedContext {
    upstreamUrl: string
  }
}

export default async function setup(project: TestProject) {
  const { url, server } = await startUpstream()
  project.provide('upstreamUrl', url)
  return () => new Promise<void>((resolve) => server.close(() => resolve()))
}
