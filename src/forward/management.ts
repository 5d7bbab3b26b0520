import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { splitUrl } from '../http/url'
import { forward } from './index'

/**
 * A management call: same path shape and query on the provider, the gateway's
 * own credentials, and optionally the validated body in place of the stream.
 */
export function toProvider(c: Context<AppEnv>, path: string, body?: string): Promise<Response> {
  return forward(c.var.config, c.req.raw, {
    path,
    search: splitUrl(c.req.url).search,
    authenticate: true,
    ...(body === undefined ? {} : { body }),
  })
}
