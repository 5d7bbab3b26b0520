import { expect } from 'vitest'
import {
  isReplicaSync,
  isStatusLookup,
  type RawGateway,
  type RawResponse,
  type Received,
  rawRequest,
  resolvedByAnyServer,
  staysInside,
} from './harness'
import {
  authenticated,
  bodyBytes,
  type HostileRequest,
  MANAGEMENT_BODY_LIMIT,
  TAG,
  targetOf,
  wireBytes,
} from './requests'
import { type Bearer, mayInvoke, mayManage, READ_BY_ANY_TOKEN, type Tokens } from './tokens'

// What must hold for any hostile request, judged from the request as
// generated and from what reached the provider, never from the gateway's own
// code. Requests reaching the provider are told apart by the tag header each
// case carries: tagged ones were forwarded for that case (however late they
// land); untagged ones are the gateway's own calls.

// The provider paths the gateway's management routes forward to, each with the query parameters it may carry.
// Function names in paths are the contract's `[-a-zA-Z_0-9.]+`; namespaces are DNS-1123 labels.
const MANAGEMENT: [RegExp, string[]][] = [
  [/^\/system\/(?:functions|secrets)$/, ['namespace']],
  [/^\/system\/function\/[-a-zA-Z_0-9.]+$/, ['namespace']],
  [/^\/system\/scale-function\/[-a-zA-Z_0-9.]+$/, ['namespace']],
  [/^\/system\/(?:namespaces|info)$/, []],
  [/^\/system\/namespace\/[a-z0-9-]{1,63}$/, []],
  [/^\/system\/logs$/, ['name', 'namespace', 'instance', 'tail', 'since', 'follow']],
]

/** A forwarded management call: a known provider path with only its own parameters, each once. */
function isManagementCall(target: string): boolean {
  const [path = '', search = ''] = target.split(/\?(.*)/s, 2)
  const allowed = MANAGEMENT.find(([shape]) => shape.test(path))?.[1]
  if (!allowed) return false
  const names = [...new URLSearchParams(search).keys()]
  return (
    names.every((name) => allowed.includes(name)) &&
    new Set(names).size === names.length &&
    // Nothing a server behind the provider could resolve to another path (a name of dots only, say).
    resolvedByAnyServer(target) === path
  )
}

/** The gateway's own calls, which carry no caller's headers: reads, the sync, health, and scale requests it decides on. */
function isOwnCall(reached: Received): boolean {
  if (reached.target === '/healthz' || isReplicaSync(reached.target) || isStatusLookup(reached)) return true
  // Waking a function scaled to zero (an earlier case may have scaled it), or an authenticated alert.
  const scale = /^\/system\/scale-function\/([a-z0-9-]{1,63})$/.exec(reached.target)
  if (!scale || reached.method !== 'POST') return false
  const body = JSON.parse(reached.body.toString('utf8')) as { serviceName?: string; replicas?: number }
  return body.serviceName === scale[1] && Number.isInteger(body.replicas)
}

/** The function segment a raw target invokes (`/function/{segment}`), as the gateway reads it. */
const invokedSegment = (target: string) => /^\/function\/([^/?#]+)/.exec(target)?.[1]

/**
 * Who may do what: no auth at all; basic auth, where only the right credentials get in; or JWT auth (basic
 * off) with every invocation asking for a token (AUTH_INVOCATIONS=required), where what a request may do
 * is what the valid tokens it carries allow (test/raw/tokens.ts).
 */
export type Access = 'open' | 'basic' | { tokens: Tokens }

type Sent = { request: HostileRequest; bearers: Bearer[] }

const KNOWN_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND', 'TRACE']

/**
 * How often each check above had something to check, counted across a run: most hold only for some
 * requests (the ones that reached the provider, or were too large, or unauthenticated), so a run must
 * show that each kind came up.
 */
export type Outcomes = {
  /** Requests that reached the provider inside the function they invoke. */
  invoked: number
  /** Management calls forwarded to /system/: with credentials, when auth is on. */
  managed: number
  /**
   * Guarded routes answered, and refused, without credentials (counted with auth on only; with JWT auth,
   * /system/ without a valid token).
   */
  guardedRefused: number
  /** Management bodies over the limit, answered (and so refused whole). */
  overLimit: number
  /** With JWT auth: guarded routes refused 401 to a request carrying only junk tokens (or basic credentials). */
  junkRefused: number
  /** With JWT auth: guarded routes refused 403 to a valid token that does not allow the call. */
  forbidden: number
  /** With JWT auth: namespaces listed to a valid token allowed none of them, and so listed none. */
  filteredRead: number
  /** With JWT auth: invocations refused 401 for want of a valid token. */
  invocationUnauthorized: number
  /** With JWT auth: invocations refused 403 to a valid token without Function:Invoke on the function. */
  invocationForbidden: number
  /** Methods workerd does not know, answered. */
  unknownMethod: number
  /** Request targets past workerd's limit. */
  oversizeUrl: number
  /** Request heads past workerd's limit. */
  oversizeHead: number
}

export type Oracle = {
  /** Sends one case and checks it, and whatever reached the provider since the last check. */
  check(request: HostileRequest): Promise<void>
  cases(): number
  outcomes(): Outcomes
}

export function oracle(gw: Pick<RawGateway, 'port' | 'upstream'>, access: Access): Oracle {
  const authOn = access !== 'open'
  const jwt = typeof access === 'object' ? access.tokens : undefined
  const sent: Sent[] = []
  const counts: Outcomes = {
    invoked: 0,
    managed: 0,
    guardedRefused: 0,
    junkRefused: 0,
    forbidden: 0,
    filteredRead: 0,
    invocationUnauthorized: 0,
    invocationForbidden: 0,
    overLimit: 0,
    unknownMethod: 0,
    oversizeUrl: 0,
    oversizeHead: 0,
  }

  /** One request that reached the provider, judged against the case that caused it. */
  function judge(reached: Received): void {
    const tag = reached.headers[TAG] as string | undefined
    if (tag === undefined) {
      expect(isOwnCall(reached), `the gateway's own call ${reached.method} ${reached.target}`).toBe(true)
      return
    }
    const cause = sent[Number(tag)]
    expect(cause, `tag ${tag}`).toBeDefined()
    const { request, bearers } = cause as Sent
    const target = targetOf(request)
    const what = `${request.method} ${target.slice(0, 300)} reached ${reached.target.slice(0, 300)}${jwt ? ` (tokens: ${tokensIn(jwt, request)})` : ''}`
    expect(request.oversize, `past workerd's limits, yet ${what}`).toBeUndefined()
    const invoked = invokedSegment(target)
    // An invocation reaches only the function the caller named, resolved any way a server might.
    if (invoked !== undefined) {
      expect(staysInside(reached.target, invoked), what).toBe(true)
      if (jwt) {
        // Every function asks for a token: only one allowed to invoke it gets through, and the function
        // is told whose it was in place of the token itself.
        const allowed = bearers.filter((b) => mayInvoke(b, invoked))
        expect(allowed, `no token allows invoking ${invoked}, yet ${what}`).not.toEqual([])
        expect(reached.headers.authorization, `token passed on: ${what}`).toBeUndefined()
        expect(reached.headers['cf-access-jwt-assertion'], `token passed on: ${what}`).toBeUndefined()
        expect(
          allowed.map((b) => b.subject),
          what,
        ).toContain(reached.headers['x-auth-subject'])
      }
      counts.invoked++
      return
    }
    // Anything else is a management call: only with credentials when they are asked for, only to /system/.
    if (jwt) {
      // The admin's token, or a read any valid token may make (filtered to what it allows).
      const readByAny = ['GET', 'HEAD'].includes(reached.method) && READ_BY_ANY_TOKEN.includes(reached.target)
      expect(bearers.some(mayManage) || (readByAny && bearers.length > 0), `not allowed: ${what}`).toBe(true)
    } else expect(!authOn || authenticated(request), `unauthenticated: ${what}`).toBe(true)
    expect(isManagementCall(reached.target), what).toBe(true)
    // All or nothing: a management body over the limit is never forwarded, not even in part.
    expect(reached.body.length, what).toBeLessThanOrEqual(MANAGEMENT_BODY_LIMIT)
    counts.managed++
  }

  return {
    cases: () => sent.length,
    outcomes: () => ({ ...counts }),
    async check(request) {
      const tag = sent.length
      const bearers = jwt ? jwt.bearersOf(request.headers) : []
      sent.push({ request, bearers })
      const { bytes } = wireBytes(request, tag)
      const response = await rawRequest(gw.port, bytes, 20_000)
      const target = targetOf(request)
      const size = request.body ? bodyBytes(request.body.bytes).length : 0
      const label = `${request.method} ${target.slice(0, 200)} headers ${JSON.stringify(request.headers).slice(0, 300)} body ${request.body ? `${request.body.framing} ${size} B` : 'none'}${jwt ? ` tokens ${tokensIn(jwt, request)}` : ''}`
      // The gateway never blames itself for a client's request.
      expect(response.status, label).not.toBe(500)
      // A server that refuses a request before reading its body may reset the connection under the answer;
      // without a body there is nothing unread, so an answer must come.
      if (!request.body && request.oversize === undefined) expect(response.status, label).toBeDefined()
      // workerd's own limits: refused before the gateway runs (400 when workerd finds the head malformed
      // first, and then the megabyte it did not read may reset the connection under its answer).
      if (request.oversize === 'url') {
        expect([400, 414, undefined], label).toContain(response.status)
        counts.oversizeUrl++
      }
      if (request.oversize === 'head') {
        expect([400, 431, undefined], label).toContain(response.status)
        counts.oversizeHead++
      }
      // A method workerd does not know (methods are case-sensitive) is refused by workerd itself.
      if (!KNOWN_METHODS.includes(request.method) && response.status !== undefined && !request.oversize) {
        expect([400, 501], label).toContain(response.status)
        counts.unknownMethod++
      }
      if (size > MANAGEMENT_BODY_LIMIT && target.startsWith('/system/') && response.status !== undefined) {
        // Refused whole: 413 by size, 400 when it is malformed first or breaks off, 401 without credentials
        // (403 with a token that does not allow the call), 501 for a method workerd does not know.
        expect([400, 401, 413, 414, 431, 501, ...(jwt ? [403] : [])], label).toContain(response.status)
        counts.overLimit++
      }
      if (jwt) checkTokenAnswer(request, bearers, response, label)
      else {
        const guarded = /^\/(?:system\/|ui)/.test(target)
        if (authOn && guarded && !authenticated(request) && response.status !== undefined) {
          expect(response.status >= 200 && response.status < 400, `unauthenticated 2xx/3xx: ${label}`).toBe(
            false,
          )
          counts.guardedRefused++
        }
      }
      // Everything that reached the provider since the last case, this one's and any late ones.
      for (const reached of gw.upstream.received.splice(0)) judge(reached)
    },
  }

  /**
   * With JWT auth on (the portal's files are public then, /system/ is not): the answer to a request
   * without a token allowing the call. Never a success from a guarded route, nor from a function.
   */
  function checkTokenAnswer(
    request: HostileRequest,
    bearers: Bearer[],
    response: RawResponse,
    label: string,
  ): void {
    const status = response.status
    if (status === undefined || request.oversize) return
    const target = targetOf(request)
    const success = status >= 200 && status < 400
    const carriesToken = request.headers.some(([name]) =>
      ['authorization', 'cf-access-jwt-assertion'].includes(name.toLowerCase()),
    )
    if (target.startsWith('/system/') && !bearers.some(mayManage)) {
      if (bearers.length === 0) {
        expect(success, `without a valid token, 2xx/3xx: ${label}`).toBe(false)
        counts.guardedRefused++
        if (status === 401 && carriesToken) counts.junkRefused++
        return
      }
      // A valid token that allows nothing here: only what any token may read, and that filtered.
      // (A fragment, which no client should send, workerd drops.)
      const path = resolvedByAnyServer(target.split('#', 1)[0] ?? '').replace(/\/+$/, '')
      if (READ_BY_ANY_TOKEN.includes(path) || path === '/system/scaling') {
        if (path === '/system/namespaces' && success && !bearers.some((b) => b.kind === 'invoker')) {
          expect(response.body, `a namespace listed to a token allowed none: ${label}`).not.toContain(
            'openfaas-fn',
          )
          counts.filteredRead++
        }
        return
      }
      expect(success, `a token allowing nothing here, 2xx/3xx: ${label}`).toBe(false)
      if (status === 403) counts.forbidden++
      return
    }
    // Invocations, asynchronous ones too: every function asks for a token.
    const invoked = /^\/(?:async-)?function\/([^/?#]+)/.exec(target)?.[1]
    if (invoked === undefined || bearers.some((b) => mayInvoke(b, invoked))) return
    expect(success, `an invocation without a token allowing it, 2xx/3xx: ${label}`).toBe(false)
    if (status === 401) counts.invocationUnauthorized++
    if (status === 403) counts.invocationForbidden++
  }
}

/** The kinds of the tokens a request carries, valid or junk, to name them in a failure. */
function tokensIn(tokens: Tokens, request: HostileRequest): string {
  const kinds = request.headers.flatMap(([name, value]) => {
    const lower = name.toLowerCase()
    if (lower !== 'authorization' && lower !== 'cf-access-jwt-assertion') return []
    const token = lower === 'authorization' ? value.replace(/^bearer\s+/i, '') : value
    return [`${name}=${tokens.nameOf(token.trim()) ?? JSON.stringify(value.slice(0, 40))}`]
  })
  return kinds.join(', ') || 'none'
}
