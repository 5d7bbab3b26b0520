// esbuild keeps only the named field, not the whole package.json.
import { version } from '../package.json'

// Replaced at bundle time: wrangler.toml [define] has placeholders that
// scripts/wrangler.mjs overrides from git for dev and deploy.
declare const __EDGEFAAS_SHA__: string
declare const __EDGEFAAS_COMMIT_MESSAGE__: string

// commit_message is omitempty in the OpenFaaS VersionInfo: a build without one leaves it out.
export const gatewayVersion = {
  release: version,
  sha: __EDGEFAAS_SHA__,
  ...(__EDGEFAAS_COMMIT_MESSAGE__ ? { commit_message: __EDGEFAAS_COMMIT_MESSAGE__ } : {}),
}
