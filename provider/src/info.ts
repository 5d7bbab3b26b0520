import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as z from 'zod/mini'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

// The provider SDK's ProviderInfo and VersionInfo: sha and release always, commit_message only when
// there is one (omitempty there).
export type ProviderInfo = {
  provider: string
  orchestration: string
  version: { sha: string; release: string; commit_message?: string }
}

// Read once at startup: the release from the repository's package.json and the commit from git, when
// this is a checkout with history.
export function providerInfo(): ProviderInfo {
  const pkg = z
    .object({ version: z.string() })
    .parse(JSON.parse(readFileSync(`${repoRoot}package.json`, 'utf8')))
  const { sha, message } = gitCommit()
  return {
    provider: 'edgefaas-dev-provider',
    orchestration: 'process',
    version: { sha, release: pkg.version, ...(message ? { commit_message: message } : {}) },
  }
}

function gitCommit(): { sha: string; message: string } {
  try {
    const out = execFileSync('git', ['log', '-1', '--format=%H%n%s'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    const [sha = '', message = ''] = out.split('\n')
    return /^[0-9a-f]{40}$/.test(sha) ? { sha, message: message.trim() } : { sha: 'unknown', message: '' }
  } catch {
    return { sha: 'unknown', message: '' }
  }
}
