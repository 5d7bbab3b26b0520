import { expect } from 'vitest'
import {
  isReplicaSync,
  isStatusLookup,
  type RawGateway,
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

type Sent = { request: HostileRequest; authOn: boolean }

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
  /** Guarded routes answered, and refused, without credentials (counted with auth on only). */
  guardedRefused: number
  /** Management bodies over the limit, answered (and so refused whole). */
  overLimit: number
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

export function oracle(gw: Pick<RawGateway, 'port' | 'upstream'>, authOn: boolean): Oracle {
  const sent: Sent[] = []
  const counts: Outcomes = {
    invoked: 0,
    managed: 0,
    guardedRefused: 0,
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
    const { request } = cause as Sent
    const target = targetOf(request)
    const what = `${request.method} ${target.slice(0, 300)} reached ${reached.target.slice(0, 300)}`
    expect(request.oversize, `past workerd's limits, yet ${what}`).toBeUndefined()
    const invoked = invokedSegment(target)
    // An invocation reaches only the function the caller named, resolved any way a server might.
    if (invoked !== undefined) {
      expect(staysInside(reached.target, invoked), what).toBe(true)
      counts.invoked++
      return
    }
    // Anything else is a management call: only with credentials when they are asked for, only to /system/.
    expect(!authOn || authenticated(request), `unauthenticated: ${what}`).toBe(true)
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
      sent.push({ request, authOn })
      const { bytes } = wireBytes(request, tag)
      const response = await rawRequest(gw.port, bytes, 20_000)
      const target = targetOf(request)
      const size = request.body ? bodyBytes(request.body.bytes).length : 0
      const label = `${request.method} ${target.slice(0, 200)} headers ${JSON.stringify(request.headers).slice(0, 300)} body ${request.body ? `${request.body.framing} ${size} B` : 'none'}`
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
        // Refused whole: 413 by size, 400 when it is malformed first or breaks off, 401 without credentials,
        // 501 for a method workerd does not know.
        expect([400, 401, 413, 414, 431, 501], label).toContain(response.status)
        counts.overLimit++
      }
      const guarded = /^\/(?:system\/|ui)/.test(target)
      if (authOn && guarded && !authenticated(request) && response.status !== undefined) {
        expect(response.status >= 200 && response.status < 400, `unauthenticated 2xx/3xx: ${label}`).toBe(
          false,
        )
        counts.guardedRefused++
      }
      // Everything that reached the provider since the last case, this one's and any late ones.
      for (const reached of gw.upstream.received.splice(0)) judge(reached)
    },
  }
}
