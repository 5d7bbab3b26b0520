import type { Config } from '../config'
import { plainText } from '../http/responses'
import { forCaller, forwardableHeaders } from './headers'

export type ForwardOptions = {
  /** Path on the provider, already validated and encoded, starting with `/`. */
  path: string
  /**
   * The provider path this call must stay inside once the URL is resolved:
   * `path` itself unless given, `/function/{name}` for invocations.
   */
  scope?: string
  /** Query string including its `?`, or empty; validated by the caller. */
  search?: string
  /** Headers to send; by default the caller's, less hop-by-hop ones. */
  headers?: Headers
  /** A body to send instead of the caller's, e.g. after validating it. */
  body?: BodyInit | null
  /** Management calls carry the gateway's own credentials; invocations never do. */
  authenticate: boolean
}

/**
 * The one way the gateway talks to the provider: sync and async invocations
 * and every management call. The caller's body streams through untouched,
 * the provider's response streams back, redirects are returned, not followed.
 * A provider fault maps to 502 (unreachable) or 504 (no response in time).
 */
export async function forward(config: Config, request: Request, options: ForwardOptions): Promise<Response> {
  const url = providerUrl(config, options)
  if (url === undefined) {
    return plainText(400, `refused ${options.path}: it resolves outside ${options.scope ?? options.path}`)
  }
  const headers = options.headers ?? forwardableHeaders(request)
  if (options.authenticate) {
    // The gateway's own credentials, never the caller's: a token the gateway checked is not the provider's to see.
    headers.delete('cf-access-jwt-assertion')
    if (config.credentials) headers.set('authorization', config.credentials.header)
    else if (config.jwt) headers.delete('authorization')
  }
  const sent = await answerOrDeadline(
    config,
    url,
    {
      method: request.method,
      headers,
      body: options.body !== undefined ? options.body : request.body,
      redirect: 'manual',
      // What other fetch implementations require for a streamed body; workerd streams regardless.
      duplex: 'half',
    } as RequestInit,
    options.path,
  )
  if ('fault' in sent) return plainText(sent.fault, sent.message)
  return forCaller(sent.response)
}

export type Sent = { response: Response } | { fault: 502 | 504; message: string }

const late = (config: Config, what: string): Sent => ({
  fault: 504,
  message: `the functions provider did not answer ${what} within ${config.upstreamTimeoutMs / 1000}s`,
})

const unreachable = (what: string, error: unknown): Sent => ({
  fault: 502,
  message: `cannot reach the functions provider for ${what}: ${error instanceof Error ? error.message : String(error)}`,
})

/**
 * The caller's request to the provider, answered by the provider or by the
 * deadline, whichever comes first. Nothing is aborted: a call the deadline
 * answered is cancelled by the runtime when the caller's request ends. That
 * spares every call an AbortController and a signal for fetch() to watch, on
 * the path where each step costs the runtime a few per cent of a bare Worker's
 * throughput (bench/README.md, "The floor").
 */
function answerOrDeadline(config: Config, url: string, init: RequestInit, what: string): Promise<Sent> {
  let timer = 0
  const deadline = new Promise<Sent>((resolve) => {
    timer = setTimeout(() => resolve(late(config, what)), config.upstreamTimeoutMs) as unknown as number
  })
  const answer = fetch(url, init).then(
    (response): Sent => ({ response }),
    (error: unknown) => unreachable(what, error),
  )
  return Promise.race([answer, deadline]).finally(() => clearTimeout(timer))
}

/**
 * One request the gateway makes on its own behalf (status, scale, sync) under
 * the upstream deadline, aborted when the deadline passes, redirects returned
 * rather than followed. `init` is the caller's own, completed here rather than
 * copied. The deadline bounds sending the request and waiting for the
 * response head. A fault is a value, so callers decide how to report it.
 */
export async function send(config: Config, url: string, init: RequestInit, what: string): Promise<Sent> {
  const deadline = new AbortController()
  init.redirect = 'manual'
  init.signal = deadline.signal
  const timer = setTimeout(() => deadline.abort(), config.upstreamTimeoutMs)
  try {
    return { response: await fetch(url, init) }
  } catch (error) {
    return deadline.signal.aborted ? late(config, what) : unreachable(what, error)
  } finally {
    clearTimeout(timer)
  }
}

// A dot segment as the WHATWG URL parser (what fetch() uses) reads one in an http URL's path: `.` or `..`
// in any mix of literal and %2e, between `/` or `\` (both separators for http) and the path's end.
const DOT_SEGMENT = /(?:^|[/\\])(?:\.|%2e){1,2}(?:[/\\?#]|$)/i

/**
 * The provider URL for a call, or undefined when fetch() would resolve it
 * outside the call's scope. Paths reaching here are validated already; this is
 * the last line of defence, on the very string fetch() gets: it must start
 * with the scope and hold no segment the URL parser would resolve away.
 */
export function providerUrl(
  config: Config,
  options: Pick<ForwardOptions, 'path' | 'scope' | 'search'>,
): string | undefined {
  const { path } = options
  const scope = options.scope ?? path
  const inside =
    path.startsWith(scope) &&
    (path.length === scope.length || path.charCodeAt(scope.length) === 47) && // '/'
    !DOT_SEGMENT.test(path)
  return inside ? config.providerUrl + path + (options.search ?? '') : undefined
}
