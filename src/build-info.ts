// esbuild keeps only the named field, not the whole package.json.
import { version } from '../package.json'

// Replaced at bundle time: wrangler.toml [define] has placeholders that
// scripts/wrangler.mjs overrides from git for dev and deploy.
declare const __EDGEFAAS_SHA__: string
declare const __EDGEFAAS_COMMIT_MESSAGE__: string

export const gatewayVersion = {
  release: version,
  sha: __EDGEFAAS_SHA__,
  commit_message: __EDGEFAAS_COMMIT_MESSAGE__,
} as const
