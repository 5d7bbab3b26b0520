import type { Config } from './config'
import type { Principal } from './schemas/access'

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
    /** The caller, once basic or JWT auth let it in on a guarded route; unset with both off. */
    principal: Principal | undefined
  }
}
