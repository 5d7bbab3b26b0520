import { ApiError, UNREACHABLE } from './http'
import { parseServerTiming, type TimingEntry } from './server-timing'
import { withToken } from './session'

export type Invocation = {
  name: string
  namespace: string
  method: string
  /** Below the function: `/`, `/items/1`; empty means the function's root. */
  path: string
  /** Raw query string, without `?`. */
  query: string
  contentType: string
  body: string
}

export type InvocationResult = {
  status: number
  statusText: string
  headers: [string, string][]
  body: Uint8Array<ArrayBuffer>
  contentType: string
  durationMs: number
  callId: string | undefined
  /** Set when the gateway had to wake the function from zero replicas first. */
  coldStartSeconds: number | undefined
  /** Where the time went, from `Server-Timing`: the function's entries, then the gateway's. */
  timing: TimingEntry[]
  /** The W3C trace the call belongs to, from the response's `traceparent`: the id the call log has. */
  traceId: string | undefined
}

const NO_BODY = new Set(['GET', 'HEAD'])

/** `/function/name[.namespace]/path?query`, the same URL faas-cli and curl would call. */
export function invocationUrl(prefix: 'function' | 'async-function', call: Invocation): string {
  const target = call.namespace ? `${call.name}.${call.namespace}` : call.name
  const path = call.path && !call.path.startsWith('/') ? `/${call.path}` : call.path
  const query = call.query.replace(/^\?/, '')
  return `/${prefix}/${target}${path}${query ? `?${query}` : ''}`
}

/**
 * Calls the function and reports whatever it answered: a 500 from the
 * function is a result to show, not an error. Only a request that got no
 * answer at all throws.
 */
export async function invoke(
  call: Invocation,
  options: { callbackUrl?: string } = {},
): Promise<InvocationResult> {
  // An async invocation is always a POST: the queue keeps its body for the function.
  const async = options.callbackUrl !== undefined
  const method = async ? 'POST' : call.method
  const hasBody = !NO_BODY.has(method)
  const headers = new Headers()
  if (call.contentType && hasBody) headers.set('content-type', call.contentType)
  if (options.callbackUrl) headers.set('x-callback-url', options.callbackUrl)
  // For functions whose invocations need a token; their answer, a 401 included, is a result to show.
  withToken(headers)
  const init: RequestInit = { method, headers, ...(hasBody ? { body: call.body } : {}) }
  const started = performance.now()
  let response: Response
  let body: Uint8Array<ArrayBuffer>
  try {
    response = await fetch(invocationUrl(async ? 'async-function' : 'function', call), init)
    body = new Uint8Array(await response.arrayBuffer())
  } catch (error) {
    throw new ApiError(UNREACHABLE, `could not reach the gateway: ${(error as Error).message}`)
  }
  const durationMs = performance.now() - started
  const coldStart = Number.parseFloat(response.headers.get('x-scale-from-zero-seconds') ?? '')
  return {
    status: response.status,
    statusText: response.statusText,
    headers: [...response.headers],
    body,
    contentType: response.headers.get('content-type') ?? '',
    durationMs,
    callId: response.headers.get('x-call-id') ?? undefined,
    coldStartSeconds: Number.isFinite(coldStart) ? coldStart : undefined,
    timing: parseServerTiming(response.headers.get('server-timing')),
    traceId: /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(response.headers.get('traceparent') ?? '')?.[1],
  }
}
