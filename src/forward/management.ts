import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { type Query, searchOf } from '../http/query'
import { forward } from './forward'

export type ManagementCall = {
  /** The validated body to send in place of the caller's stream. */
  body?: BodyInit
  /** Validated query parameters; nothing else of the caller's query reaches the provider. */
  query?: Query
}

/**
 * A management call: the same path shape on the provider, the gateway's own
 * credentials, and only what the gateway has validated of the query and body.
 */
export function toProvider(c: Context<AppEnv>, path: string, call: ManagementCall = {}): Promise<Response> {
  return forward(c.get('config'), c.req.raw, {
    path,
    search: call.query ? searchOf(call.query) : '',
    authenticate: true,
    // A bodiless call sends no body at all, whatever the caller attached.
    body: call.body ?? null,
  })
}
