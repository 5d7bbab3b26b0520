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

/** fetch() that turns a non-2xx answer into an ApiError carrying the body verbatim. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response
  try {
    response = await fetch(path, init)
  } catch (error) {
    if (init.signal?.aborted) throw error
    throw new ApiError(UNREACHABLE, `could not reach the gateway: ${(error as Error).message}`)
  }
  if (!response.ok) throw new ApiError(response.status, await response.text())
  return response
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
