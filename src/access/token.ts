import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose'

/** AUTH_JWT_*: the issuer and audience a token must name, and where the issuer's signing keys are. */
export type JwtSettings = { issuer: string; audience: string; jwksUrl: string | undefined }

// Asymmetric only: a symmetric algorithm would let anyone holding the published key sign tokens.
const ALGORITHMS = ['RS256', 'ES256', 'EdDSA']
const LEEWAY_S = 60
// A token naming a key the isolate has not seen refetches the key set at most this often.
const REFETCH_MS = 60_000
const FETCH_TIMEOUT_MS = 5_000

// Per isolate. Keys never go stale by age: a key set is refetched only for a key it lacks, so an outage
// of the identity provider fails no token whose key this isolate already holds.
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>()
const discovered = new Map<string, Promise<string>>()

// Tokens this isolate verified, until they expire: a client sends the same token call after call, and
// checking its signature again would cost every call a public-key verification (~130 µs of CPU for RS256).
// The same string can only carry the same signature, so the answer cannot change before `exp`.
const verified = new Map<string, { claims: JWTPayload; until: number }>()
const MAX_VERIFIED = 1_000

function keySet(url: string) {
  let set = keySets.get(url)
  if (!set) {
    set = createRemoteJWKSet(new URL(url), {
      cooldownDuration: REFETCH_MS,
      cacheMaxAge: Number.POSITIVE_INFINITY,
      timeoutDuration: FETCH_TIMEOUT_MS,
    })
    keySets.set(url, set)
  }
  return set
}

/** AUTH_JWKS_URL, or the `jwks_uri` of the issuer's OpenID discovery document, read once per isolate. */
function jwksUrlOf(settings: JwtSettings): Promise<string> {
  if (settings.jwksUrl) return Promise.resolve(settings.jwksUrl)
  let url = discovered.get(settings.issuer)
  if (!url) {
    const document = `${settings.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`
    url = fetch(document, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) }).then(async (res) => {
      if (!res.ok) throw new Error(`${document} answered ${res.status}`)
      const jwksUri = ((await res.json()) as { jwks_uri?: unknown }).jwks_uri
      if (typeof jwksUri !== 'string') throw new Error(`${document} names no jwks_uri`)
      return jwksUri
    })
    discovered.set(settings.issuer, url)
    // A failed discovery is tried again by the next request, not remembered.
    url.catch(() => discovered.delete(settings.issuer))
  }
  return url
}

export type Verified =
  | { ok: true; claims: JWTPayload }
  | { ok: false; status: 401; reason: string }
  | { ok: false; status: 502; reason: string }

/** Verifies a token's signature, algorithm, issuer, audience and times (with 60 s of leeway). */
export async function verifyToken(token: string, settings: JwtSettings): Promise<Verified> {
  const known = verified.get(`${settings.issuer}\n${settings.audience}\n${token}`)
  if (known && Date.now() < known.until) return { ok: true, claims: known.claims }
  let url: string
  try {
    url = await jwksUrlOf(settings)
  } catch (error) {
    return {
      ok: false,
      status: 502,
      reason: `the issuer's signing keys cannot be found: ${(error as Error).message}`,
    }
  }
  try {
    const { payload } = await jwtVerify(token, keySet(url), {
      issuer: settings.issuer,
      audience: settings.audience,
      algorithms: ALGORITHMS,
      clockTolerance: LEEWAY_S,
      requiredClaims: ['exp'],
    })
    // Kept for the same settings only: another issuer or audience (a gateway in the same isolate set up
    // otherwise) must verify it afresh.
    remember(`${settings.issuer}\n${settings.audience}\n${token}`, payload)
    return { ok: true, claims: payload }
  } catch (error) {
    const unreachable = keysUnreachable(error)
    if (unreachable) return { ok: false, status: 502, reason: `the signing keys at ${url} ${unreachable}` }
    return { ok: false, status: 401, reason: whyInvalid(error) }
  }
}

function remember(key: string, claims: JWTPayload): void {
  if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value as string)
  // Until it expires, with the same leeway jwtVerify allowed it.
  verified.set(key, { claims, until: ((claims.exp as number) + LEEWAY_S) * 1000 })
}

function keysUnreachable(error: unknown): string | undefined {
  if (error instanceof errors.JWKSTimeout) return 'did not answer in time'
  if (error instanceof errors.JWKSInvalid) return 'are not a JSON Web Key Set'
  // A failed fetch, or a key set answered with another status than 200.
  if (!(error instanceof errors.JOSEError)) return `could not be fetched: ${String(error)}`
  if (error.code === 'ERR_JOSE_GENERIC') return `could not be fetched: ${error.message}`
  return undefined
}

function whyInvalid(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired'
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' || error.claim === 'iat') return 'the token is not valid yet'
    if (error.claim === 'iss') return 'the token was not issued by the accepted issuer'
    if (error.claim === 'aud') return 'the token is not meant for this audience'
    if (error.reason === 'missing') return `the token has no ${error.claim} claim`
    return `the token's ${error.claim} claim is not accepted: ${error.reason}`
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
    return `the token's signing algorithm is not accepted (${ALGORITHMS.join(', ')} only)`
  if (error instanceof errors.JWKSNoMatchingKey) return "no signing key of the issuer matches the token's"
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify"
  return 'the token is not a well-formed JWT'
}

/** A token from `Authorization: Bearer …`, or the one Cloudflare Access puts in `Cf-Access-Jwt-Assertion`. */
export function tokenOf(headers: Headers): string | undefined {
  const authorization = headers.get('authorization')
  if (authorization && /^bearer /i.test(authorization)) return authorization.slice(7).trim() || undefined
  return headers.get('cf-access-jwt-assertion')?.trim() || undefined
}
