import fc from 'fast-check'
import { expect } from 'vitest'
import {
  isOwnLookup,
  isReplicaSync,
  isStatusLookup,
  type RawGateway,
  rawRequest,
  since,
  staysInside,
} from './harness'

// Raw requests generated for the path properties, and the check each must
// pass; shared by the workerd suite and the `wrangler dev` one.

/** Ways out of /function/{x}/ found by probing: every one must be refused. */
export const ESCAPES = [
  '/function/x/a%2Fb/../../../system/secrets',
  '/function/x/a%2fb/../../../system/secrets',
  '/function/x/a%5Cb/../../../system/secrets',
  '/function/x/a%5cb/../../../system/secrets',
  '/function/x/a%252Fb/../../../system/secrets',
  '/function/x/a%2Fb/..%2F..%2F..%2Fsystem/secrets',
  '/function/x/a%2Fb/%2e%2e/%2e%2e/%2e%2e/system/secrets',
  '/function/x/a%2Fb/%252e%252e/%252e%252e/%252e%252e/system/secrets',
  '/function/x/a%2Fb/.%2e/.%2e/%2e./system/secrets',
  '/function/x/a\\b/..\\..\\..\\system/secrets',
  '/function/x/a%2Fb/..;/..;/..;/system/secrets',
  '/function/x/a%2Fb/%EF%BC%8E%EF%BC%8E/%EF%BC%8E%EF%BC%8E/%EF%BC%8E%EF%BC%8E/system/secrets',
  '/function/x/a%2Fb/.. /.. /.. /system/secrets',
  '/function/x/a%2Fb/...%2F...%2F.../system/secrets',
  '/function/x/../..',
  '/function/x/../../healthz',
  '/function/x/.',
  '/function/x/..',
]

// What path tricks are made of: separators and dot segments in every encoding, parameters, look-alikes.
export const piece = fc.constantFrom(
  '/',
  '//',
  '\\',
  '.',
  '..',
  '...',
  '%2e',
  '%2E',
  '%2e%2e',
  '.%2e',
  '%2f',
  '%2F',
  '%5c',
  '%5C',
  '%252e',
  '%252f',
  '%25252e',
  '%25',
  '%',
  '%ff',
  '%00',
  '%20',
  '%09',
  ';',
  ';x=1',
  '?',
  '#',
  '%3f',
  '%23',
  '%EF%BC%8E',
  '%C0%AE',
  'system',
  'SYSTEM',
  '%73ystem',
  'system.',
  'ui',
  'function',
  'async-function',
  'healthz',
  'functions',
  'secrets',
  'x',
  'x.ns',
  'a',
)
export const tail = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''))
const prefix = fc.constantFrom(
  '/function/x',
  '/function/x/',
  '/function/x.ns/',
  '/function/',
  '/async-function/x/',
  '/healthz',
  '/system/',
  '/ui/',
  '/',
  '',
)
const target = fc.tuple(prefix, tail).map(([p, t]) => `${p}${t}` || '/')
const longTarget = fc
  .tuple(prefix, fc.array(piece, { minLength: 100, maxLength: 400 }))
  .map(([p, t]) => p + t.join(''))
const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND')
const VALID_HOST = '127.0.0.1'
const host = fc.oneof(
  { weight: 8, arbitrary: fc.constant(VALID_HOST) },
  { weight: 1, arbitrary: tail.map((t) => `${VALID_HOST}${t}`) },
)
const body = fc.option(fc.constantFrom('', 'x', '{"service":"pwn","image":"x","envProcess":"id"}'), {
  nil: undefined,
})

export const rawCase = fc.record({
  method,
  target: fc.oneof({ weight: 20, arbitrary: target }, longTarget),
  host,
  body,
})

/** The function a raw target invokes, as the gateway reads it: the segment after /function/. */
function invokedSegment(raw: string): string | undefined {
  const match = /^\/(?:async-)?function\/([^/?#]+)/.exec(raw)
  return match?.[1]
}

export type RawCase = { method: string; target: string; host: string; body: string | undefined }

function text(r: RawCase) {
  const lines = [`${r.method} ${r.target} HTTP/1.1`, `Host: ${r.host}`, 'Connection: close']
  if (r.body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(r.body)}`)
  return `${lines.join('\r\n')}\r\n\r\n${r.body ?? ''}`
}

/**
 * What the cases came to, counted across a run: the checks hold only in some cases each (something
 * reached the provider, or it did not), so a run must show that each kind came up.
 */
export type Outcomes = {
  /** Cases whose invocation reached the provider, inside the function it names. */
  forwarded: number
  /** Cases answered 4xx with nothing of theirs reaching the provider. */
  refused: number
  /** Of those, the ones refused with 401 (counted with auth on only). */
  unauthorized: number
  /** Of those, invocations refused with 401 because their function asks for a token. */
  tokenRefused: number
}
export const noOutcomes = (): Outcomes => ({ forwarded: 0, refused: 0, unauthorized: 0, tokenRefused: 0 })

/** Each kind named made at least 1% of the cases: far below what a run yields (the callers say how far). */
export function expectEachMet(outcomes: Outcomes, cases: number, kinds: (keyof Outcomes)[]): void {
  for (const kind of kinds)
    expect(outcomes[kind], `${kind} cases of ${cases}`).toBeGreaterThanOrEqual(cases / 100)
}

const OWN_LOOKUP = /^\/system\/(?:function\/[a-z0-9-]+\?namespace=[a-z0-9-]+|scale-function\/[a-z0-9-]+)$/

export type CheckOptions = {
  /** Basic auth is on and the case carries no credentials. */
  authOn: boolean
  /**
   * A dev proxy (`wrangler dev`) sits in front and normalises the target
   * first, so the function reached is the one left after normalisation, and
   * the proxy itself answers 500 to a Host it cannot parse.
   */
  behindDevProxy?: boolean
  /** Counts what each case came to. */
  outcomes?: Outcomes
  /**
   * With JWT auth on (`authOn`, and the case carries no token): whether the function a segment names
   * (`name` or `name.namespace`) asks for a token to be invoked. An invocation of one never reaches the
   * provider, nor does a scale request waking it.
   */
  asksForToken?: (segment: string) => boolean
}

/**
 * Sends one case. The gateway never answers 500 for it; with auth on (and no
 * credentials) nothing but invocations and the health check reaches the
 * provider; an invocation reaches only the function it names. What the case
 * came to is counted in `options.outcomes`, when given.
 */
export async function checkCase(
  gw: Pick<RawGateway, 'port' | 'upstream'>,
  r: RawCase,
  options: CheckOptions,
) {
  const asksForToken = (segment: string) => options.asksForToken?.(segment) ?? false
  const mark = gw.upstream.received.length
  const response = await rawRequest(gw.port, text(r))
  const reachedAll = since(gw.upstream, mark)
  const proxyRefusedHost = options.behindDevProxy && response.status === 500 && r.host !== VALID_HOST
  if (proxyRefusedHost) expect(reachedAll).toEqual([])
  // The gateway never blames itself for a client's request.
  else expect(response.status, `${r.method} ${r.target} (Host ${r.host})`).not.toBe(500)
  let forwarded = false
  let reachedAny = false
  for (const reached of reachedAll) {
    // Its own calls: the health check, the replica sync, and status reads, which a background refresh
    // for a function invoked by an earlier case may make while this one is in flight.
    if (reached.target === '/healthz' || isReplicaSync(reached.target) || isStatusLookup(reached)) continue
    const what = `${r.method} ${r.target} (Host ${r.host}) reached ${reached.target}`
    if (options.behindDevProxy) {
      // Which function the proxy's normalisation left is unknown here; the lookup must at least be one.
      if (OWN_LOOKUP.test(reached.target)) continue
    } else {
      const invoked = invokedSegment(r.target)
      if (invoked !== undefined && !asksForToken(invoked) && isOwnLookup(reached.target, invoked)) continue
    }
    reachedAny = true
    const segment = invokedSegment(options.behindDevProxy ? reached.target : r.target)
    // Without credentials only invocations get through; with auth off, management calls may too.
    if (segment === undefined) expect(options.authOn, what).toBe(false)
    // An invocation reaches only the function the caller named, resolved any way a server might, and
    // never one that asks for a token.
    else {
      expect(staysInside(reached.target, segment), what).toBe(true)
      expect(asksForToken(segment), `asks for a token: ${what}`).toBe(false)
      forwarded = true
    }
  }
  const counts = options.outcomes
  if (!counts) return
  if (forwarded) counts.forwarded++
  const status = response.status ?? 0
  if (!reachedAny && status >= 400 && status < 500) {
    counts.refused++
    if (options.authOn && status === 401) counts.unauthorized++
    const invoked = invokedSegment(r.target)
    if (status === 401 && invoked !== undefined && asksForToken(invoked)) counts.tokenRefused++
  }
}
