import type { Config } from './config'

/** Secrets are not in wrangler.toml, so `wrangler types` cannot see them. */
export type Bindings = Env & {
  BASIC_AUTH_USER?: string
  BASIC_AUTH_PASSWORD?: string
  METRICS_TOKEN?: string
  CALLBACK_SIGNING_KEY?: string
}

export type AppEnv = {
  Bindings: Bindings
  Variables: {
    config: Config
  }
}
