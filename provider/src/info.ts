import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

export type ProviderInfo = {
  provider: string
  orchestration: string
  version: { sha: string; release: string; commit_message: string }
}

// Read once at startup: the release from the repository's package.json and the commit from git, when
// this is a checkout with history.
export function providerInfo(): ProviderInfo {
  const pkg = z
    .object({ version: z.string() })
    .parse(JSON.parse(readFileSync(`${repoRoot}package.json`, 'utf8')))
  return {
    provider: 'edgefaas-dev-provider',
    orchestration: 'process',
    version: { sha: gitSha(), release: pkg.version, commit_message: '' },
  }
}

function gitSha(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    return /^[0-9a-f]{40}$/.test(sha.trim()) ? sha.trim() : 'unknown'
  } catch {
    return 'unknown'
  }
}
