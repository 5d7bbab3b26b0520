import { challenged, withToken } from './session'

/**
 * A refusal from the gateway (or the provider behind it). `message` is the
 * response body exactly as sent: the portal shows the API's own words, so
 * what a user reads is what faas-cli and curl would print.
 */
export class ApiError extends Error {
  readonly status: number

  constructor(status: number, message: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
  }
}

/** Status 0: the request never got an answer (gateway down, network gone). */
export const UNREACHABLE = 0

// The gateway's own challenge when JWT auth is on (src/access/principal.ts); /metrics has a bearer token of its own.
const GUARDED = /^\/system\//

/**
 * fetch() with the pasted token, if any, that turns a non-2xx answer into an
 * ApiError carrying the body verbatim. A 401 asking for a bearer token also
 * asks the user to sign in (session.ts).
 */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  const sent = withToken(headers)
  let response: Response
  try {
    response = await fetch(path, { ...init, headers })
  } catch (error) {
    if (init.signal?.aborted) throw error
    throw new ApiError(UNREACHABLE, `could not reach the gateway: ${(error as Error).message}`)
  }
  if (response.ok) return response
  const error = new ApiError(response.status, await response.text())
  const challenge = response.headers.get('www-authenticate') ?? ''
  if (response.status === 401 && GUARDED.test(path) && /^bearer\b/i.test(challenge)) challenged(sent, error)
  throw error
}

/** A JSON body for the management API; the gateway reads it as UTF-8. */
export function jsonInit(method: string, body: unknown): RequestInit {
  return { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
}

/** `?namespace=` only when one is chosen: without it the provider uses its default, as faas-cli does. */
export function withNamespace(path: string, namespace: string): string {
  return namespace ? `${path}?namespace=${encodeURIComponent(namespace)}` : path
}

/** What an error says, for display: the API's body as sent, or what went wrong in the browser. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
