import { base64url, importJWK, type JWK, SignJWT } from 'jose'
import { ACTIONS } from '../../src/schemas/access'
import { startIdentity } from '../upstream/identity'
import { startRawGateway, type UpstreamOptions } from './harness'
import { type Header, PASSWORD, USER } from './requests'

// Scoped access for the raw suite: an OpenID provider on loopback
// (test/upstream/identity.ts), roles, the tokens the JWT runs send (valid ones
// with every permission, one function's, or none that any request can use,
// and junk), and what each valid token may do, as the oracle judges it.

export const AUDIENCE = 'edgefaas'

/** The function the invoker's token may invoke, as a request names it (`fn` is in the default namespace). */
export const INVOKER_SEGMENTS = ['fn', 'fn.openfaas-fn']

// Every action but System:Admin, for a namespace no generated request names.
const ELSEWHERE_ACTIONS = ACTIONS.filter((action) => action !== 'System:Admin')

const POLICIES = {
  roles: [
    {
      name: 'admins',
      match: { claim: 'groups', value: 'admins' },
      allow: [{ actions: ['System:Admin'], resources: ['*:*'] }],
    },
    {
      name: 'fn-invokers',
      match: { claim: 'groups', value: 'fn-invokers' },
      allow: [{ actions: ['Function:Invoke'], resources: ['openfaas-fn:fn'] }],
    },
    {
      name: 'elsewhere',
      match: { claim: 'groups', value: 'elsewhere' },
      allow: [{ actions: ELSEWHERE_ACTIONS, resources: ['elsewhere:*'] }],
    },
  ],
}

/**
 * Valid tokens: `admin` may do anything; `invoker` may invoke fn (openfaas-fn) and nothing else;
 * `elsewhere` may do everything but in a namespace no request names; `nobody` matches no role.
 */
export type ValidKind = 'admin' | 'invoker' | 'elsewhere' | 'nobody'

/** Tokens the gateway must refuse with 401 wherever it asks for one, most of them claiming admin. */
export type JunkKind =
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-audience'
  | 'wrong-issuer'
  | 'no-exp'
  | 'alg-none'
  | 'hs256-public-key'
  | 'unpublished-key'
  | 'unpublished-key-published-kid'
  | 'truncated'
  | 'payload-swapped'
  | 'trailing-junk'
  | 'not-a-jwt'
  | 'empty-parts'

export type Bearer = { kind: ValidKind; subject: string }

export type Tokens = {
  /** Each kind's tokens (signed with different keys, for the admin). */
  valid: Record<ValidKind, string[]>
  junk: Record<JunkKind, string>
  /** The kind of a token string, valid or junk, to name it in a failure. */
  nameOf(token: string): string | undefined
  /** The valid tokens a request carries, and whose they are. */
  bearersOf(headers: readonly Header[]): Bearer[]
}

const now = () => Math.floor(Date.now() / 1000)

/** An OpenID provider, the gateway settings that trust it (basic auth off), and tokens it signed. */
export async function startTokenIssuer(): Promise<{
  vars: Record<string, string>
  tokens: Tokens
  close(): Promise<void>
}> {
  const identity = await startIdentity()
  const { url: issuer, keys } = identity
  const sign = async (
    claims: Record<string, unknown>,
    key: JWK = keys.rs256,
    header: { kid?: string } = {},
  ): Promise<string> =>
    new SignJWT({ iss: issuer, aud: AUDIENCE, iat: now(), exp: now() + 3_600, ...claims })
      .setProtectedHeader({ alg: key.alg as string, kid: header.kid ?? (key.kid as string) })
      .sign(await importJWK(key, key.alg))
  const as = (kind: ValidKind, groups: string[]) => ({ sub: kind, groups })
  const valid: Record<ValidKind, string[]> = {
    admin: [await sign(as('admin', ['admins'])), await sign(as('admin', ['admins']), keys.eddsa)],
    invoker: [await sign(as('invoker', ['fn-invokers']), keys.es256)],
    elsewhere: [await sign(as('elsewhere', ['elsewhere']))],
    nobody: [await sign(as('nobody', []), keys.eddsa)],
  }
  const admin = valid.admin[0] as string
  const adminClaims = as('admin', ['admins'])
  const [header, , signature] = admin.split('.')
  const nobodyParts = (valid.nobody[0] as string).split('.')
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicKey } = keys.rs256
  const junk: Record<JunkKind, string> = {
    expired: await sign({ ...adminClaims, iat: now() - 7_200, exp: now() - 3_600 }),
    'not-yet-valid': await sign({ ...adminClaims, nbf: now() + 3_600 }),
    'wrong-audience': await sign({ ...adminClaims, aud: 'someone-else' }),
    'wrong-issuer': await sign({ ...adminClaims, iss: 'https://issuer.example' }),
    'no-exp': await sign({ ...adminClaims, exp: undefined }),
    'alg-none': `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(
      JSON.stringify({ iss: issuer, aud: AUDIENCE, exp: now() + 3_600, ...adminClaims }),
    )}.`,
    'hs256-public-key': await new SignJWT({ iss: issuer, aud: AUDIENCE, exp: now() + 3_600, ...adminClaims })
      .setProtectedHeader({ alg: 'HS256', kid: keys.rs256.kid as string })
      .sign(new TextEncoder().encode(JSON.stringify(publicKey))),
    'unpublished-key': await sign(adminClaims, keys.rogue),
    'unpublished-key-published-kid': await sign(adminClaims, keys.rogue, { kid: keys.rs256.kid as string }),
    truncated: admin.slice(0, admin.lastIndexOf('.') + 12),
    // The admin's header and signature around a token's payload that matches no role: the signature fails.
    'payload-swapped': `${header}.${nobodyParts[1]}.${signature}`,
    'trailing-junk': `${admin}x`,
    'not-a-jwt': 'x'.repeat(2_000),
    'empty-parts': '..',
  }
  const names = new Map<string, string>()
  const bearers = new Map<string, Bearer>()
  for (const [kind, list] of Object.entries(valid) as [ValidKind, string[]][])
    for (const t of list) {
      names.set(t, kind)
      bearers.set(t, { kind, subject: kind })
    }
  for (const [kind, t] of Object.entries(junk)) names.set(t, kind)
  return {
    vars: {
      BASIC_AUTH: 'false',
      AUTH_JWT_ISSUER: issuer,
      AUTH_JWT_AUDIENCE: AUDIENCE,
      AUTH_JWKS_URL: `${issuer}/jwks`,
      AUTH_POLICIES: JSON.stringify(POLICIES),
    },
    tokens: {
      valid,
      junk,
      nameOf: (t) => names.get(t),
      // Taken generously: a valid token anywhere the gateway reads one counts, whichever header the gateway
      // would pick and whatever else the request carries, so a request said to hold none holds none.
      bearersOf: (headers) =>
        headers.flatMap(([name, value]) => {
          const lower = name.toLowerCase()
          const token =
            lower === 'authorization' && /^bearer /i.test(value)
              ? value.slice(7).trim()
              : lower === 'cf-access-jwt-assertion'
                ? value.trim()
                : undefined
          const bearer = token === undefined ? undefined : bearers.get(token)
          return bearer ? [bearer] : []
        }),
    },
    close: identity.close,
  }
}

/** Whether a valid token may invoke the function a request names: the admin any, the invoker fn. */
export const mayInvoke = (bearer: Bearer, segment: string): boolean =>
  bearer.kind === 'admin' || (bearer.kind === 'invoker' && INVOKER_SEGMENTS.includes(segment))

/** Management calls: the admin's, or the reads any valid token may make (filtered to what it may see). */
export const mayManage = (bearer: Bearer): boolean => bearer.kind === 'admin'

/** The provider paths any valid token may read: the provider's info, and namespaces (filtered). */
export const READ_BY_ANY_TOKEN = ['/system/info', '/system/namespaces']

/**
 * The three gateways the property suites hold to their rules: basic auth on, every guard off, and JWT auth
 * (`scopedVars` over the issuer's settings, `scopedUpstream` for the function labels it reports), with the
 * issuer they trust. `close()` ends them all.
 */
export async function startAuthModes(
  scopedVars: Record<string, string> = {},
  scopedUpstream?: UpstreamOptions,
) {
  const issuer = await startTokenIssuer()
  const guarded = await startRawGateway({
    BASIC_AUTH: 'true',
    BASIC_AUTH_USER: USER,
    BASIC_AUTH_PASSWORD: PASSWORD,
  })
  const open = await startRawGateway({ BASIC_AUTH: 'false' })
  const scoped = await startRawGateway({ ...issuer.vars, ...scopedVars }, scopedUpstream)
  return {
    issuer,
    guarded,
    open,
    scoped,
    async close() {
      await Promise.all([guarded.close(), open.close(), scoped.close()])
      await issuer.close()
    },
  }
}
