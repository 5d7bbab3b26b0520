import { auth } from 'hono/utils/basic-auth'
import { timingSafeEqual } from 'hono/utils/buffer'
import type { Config } from '../config'
import type { Principal } from '../schemas/access'
import { grantsOf } from './policy'
import { tokenOf, verifyToken } from './token'

export type { Principal }

/** Why a caller is not let in: 401 for no or a bad credential, 502 when the issuer's keys cannot be had. */
export type Refusal = { status: 401 | 502; reason: string }

/**
 * The caller of `request`: basic credentials when basic auth is on and the
 * request sends them, else a token (Authorization: Bearer, or Cloudflare
 * Access's Cf-Access-Jwt-Assertion) when JWT auth is on.
 */
export async function authenticate(request: Request, config: Config): Promise<Principal | Refusal> {
  const credentials = config.credentials
  if (credentials && /^basic /i.test(request.headers.get('authorization') ?? '')) {
    const sent = auth(request)
    // Hashes of both sides are compared, so timing reveals nothing.
    const matches =
      sent !== undefined &&
      (await timingSafeEqual(sent.username, credentials.username)) &&
      (await timingSafeEqual(sent.password, credentials.password))
    if (!matches) return { status: 401, reason: 'invalid credentials' }
    return { subject: credentials.username, admin: true, grants: [] }
  }
  const jwt = config.jwt
  if (!jwt) return { status: 401, reason: 'credentials are required' }
  const token = tokenOf(request.headers)
  if (token === undefined) return { status: 401, reason: 'a bearer token is required' }
  const verified = await verifyToken(token, jwt)
  if (!verified.ok) return { status: verified.status, reason: verified.reason }
  const subject = typeof verified.claims.sub === 'string' ? verified.claims.sub : 'unknown subject'
  return { subject, admin: false, grants: grantsOf(jwt.roles, verified.claims) }
}

/** The refusal as an answer: a 401 challenges for what the gateway accepts; a 502 says what failed. */
export function refusal(config: Config, { status, reason }: Refusal): Response {
  const headers = new Headers({ 'content-type': 'text/plain; charset=utf-8' })
  if (status === 401) {
    if (config.jwt)
      headers.append(
        'www-authenticate',
        `Bearer error="invalid_token", error_description="${reason.replace(/["\\]/g, '')}"`,
      )
    if (config.credentials) headers.append('www-authenticate', 'Basic realm="Restricted"')
  }
  return new Response(`${reason}\n`, { status, headers })
}

/** Denials are logged, one line each; grants are not. */
export function logDenial(subject: string, action: string, resource: string, reason: string): void {
  console.warn(`access: denied ${subject} ${action} on ${resource}: ${reason}`)
}
