import { env } from 'cloudflare:workers'
import { base64url, importJWK, type JWK, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { ACTIONS, type Action } from '../../src/schemas/access'
import { basic, gatewayWith, loggedErrors, loggedWarnings, received, tag, upstreamUrl } from './helpers'

// Scoped access against a real OpenID provider on loopback (test/upstream/identity.ts), whose keys the
// global setup made: tokens are signed here, in workerd, with its private keys.

const identity = env as unknown as { IDENTITY_URL: string; IDENTITY_KEYS: string }
const ISSUER = identity.IDENTITY_URL
const KEYS = JSON.parse(identity.IDENTITY_KEYS) as Record<
  'rs256' | 'es256' | 'eddsa' | 'rogue' | 'rotated',
  JWK
>
const AUDIENCE = 'edgefaas'
const now = () => Math.floor(Date.now() / 1000)

// One role per action, on namespace dev only: a token in group `<action>` may do that and nothing else.
// Two more: readers of one function, and Cloudflare Access's groups under `custom`.
const POLICIES = {
  roles: [
    ...ACTIONS.map((action) => ({
      name: action,
      match: { claim: 'groups', value: action },
      allow: [{ actions: [action], resources: [action === 'System:Admin' ? '*:*' : 'dev:*'] }],
    })),
    {
      name: 'echo-readers',
      match: { claim: 'groups', value: 'echo-readers' },
      allow: [{ actions: ['Function:Read'], resources: ['openfaas-fn:echo'] }],
    },
    {
      name: 'other-readers',
      match: { claim: 'groups', value: 'other-readers' },
      allow: [{ actions: ['Function:Read'], resources: ['openfaas-fn:other'] }],
    },
    {
      name: 'staging',
      match: { claim: 'groups', value: 'staging' },
      allow: [{ actions: ['Namespace:Read'], resources: ['staging:*'] }],
    },
    {
      name: 'access-invokers',
      match: { claim: 'custom.groups', value: 'platform' },
      allow: [{ actions: ['Function:Invoke', 'Function:Read'], resources: ['openfaas-fn:*'] }],
    },
  ],
}

const JWT_AUTH = {
  AUTH_JWT_ISSUER: ISSUER,
  AUTH_JWT_AUDIENCE: AUDIENCE,
  AUTH_JWKS_URL: `${ISSUER}/jwks`,
  AUTH_POLICIES: JSON.stringify(POLICIES),
}

type Options = { key?: keyof typeof KEYS; kid?: string; claims?: Record<string, unknown> }

/** A token from the test issuer: `sub` alice, in `groups`, valid for five minutes, unless `claims` say otherwise. */
async function token(groups: string[], { key = 'rs256', kid, claims = {} }: Options = {}): Promise<string> {
  const jwk = KEYS[key]
  const payload = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'alice',
    iat: now(),
    exp: now() + 300,
    groups,
    ...claims,
  }
  return new SignJWT(payload)
    .setProtectedHeader({ alg: jwk.alg as string, kid: kid ?? (jwk.kid as string) })
    .sign(await importJWK(jwk, jwk.alg))
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` })

/** Every guarded management route: the action it needs, and a request acting on namespace `ns`. */
const ROUTES: {
  action: Action
  method: string
  path: (ns: string) => string
  body?: (ns: string) => unknown
}[] = [
  { action: 'Function:Read', method: 'GET', path: (ns) => `/system/functions?namespace=${ns}` },
  { action: 'Function:Read', method: 'GET', path: (ns) => `/system/function/echo?namespace=${ns}` },
  {
    action: 'Function:Admin',
    method: 'POST',
    path: () => '/system/functions',
    body: (ns) => ({ service: 'echo', image: 'functions/echo:latest', namespace: ns }),
  },
  {
    action: 'Function:Admin',
    method: 'PUT',
    path: () => '/system/functions',
    body: (ns) => ({ service: 'echo', image: 'functions/echo:latest', namespace: ns }),
  },
  {
    action: 'Function:Admin',
    method: 'DELETE',
    path: () => '/system/functions',
    body: (ns) => ({ functionName: 'echo', namespace: ns }),
  },
  {
    action: 'Function:Admin',
    method: 'POST',
    path: (ns) => `/system/scale-function/echo?namespace=${ns}`,
    body: () => ({ serviceName: 'echo', replicas: 2 }),
  },
  { action: 'Function:Logs', method: 'GET', path: (ns) => `/system/logs?name=echo&namespace=${ns}` },
  { action: 'Secret:Read', method: 'GET', path: (ns) => `/system/secrets?namespace=${ns}` },
  {
    action: 'Secret:Admin',
    method: 'POST',
    path: () => '/system/secrets',
    body: (ns) => ({ name: 'api-key', value: 'v', namespace: ns }),
  },
  {
    action: 'Secret:Admin',
    method: 'DELETE',
    path: (ns) => `/system/secrets?namespace=${ns}`,
    body: () => ({ name: 'api-key' }),
  },
  { action: 'Namespace:Read', method: 'GET', path: (ns) => `/system/namespace/${ns}` },
  { action: 'Namespace:Admin', method: 'PUT', path: (ns) => `/system/namespace/${ns}`, body: () => ({}) },
  { action: 'Namespace:Admin', method: 'DELETE', path: (ns) => `/system/namespace/${ns}` },
  { action: 'System:Admin', method: 'POST', path: () => '/system/alert', body: () => ({ alerts: [] }) },
  { action: 'System:Admin', method: 'GET', path: () => '/system/async/dead-letters' },
]

async function call(route: (typeof ROUTES)[number], ns: string, headers: Record<string, string>) {
  const t = tag()
  const res = await gatewayWith(JWT_AUTH, route.path(ns), {
    method: route.method,
    headers: { ...t.headers, ...headers },
    ...(route.body ? { body: JSON.stringify(route.body(ns)) } : {}),
  })
  return { res, text: await res.text(), reached: await received(t.id) }
}

describe('scoped access: management routes', () => {
  for (const route of ROUTES) {
    const label = `${route.method} ${route.path('dev')}`
    it(`${label}: ${route.action} in dev lets it through; in prod, or another action, is 403 and reaches nothing`, async () => {
      const allowed = await token([route.action])
      const granted = await call(route, 'dev', bearer(allowed))
      expect([401, 403, 500]).not.toContain(granted.res.status)

      // System:Admin is not scoped to a namespace, so it has no "other namespace" to be refused in.
      if (route.action !== 'System:Admin') {
        const elsewhere = await loggedWarnings(async () => {
          const denied = await call(route, 'prod', bearer(allowed))
          expect(denied.res.status).toBe(403)
          expect(denied.text).toBe(`alice may not ${route.action} on prod:${denial(route)}\n`)
          expect(denied.reached).toEqual([])
        })
        expect(elsewhere).toContain(`access: denied alice ${route.action} on prod:`)
      }
      const other = ACTIONS.find((a) => a !== route.action && a !== 'System:Admin') as Action
      const wrong = await loggedWarnings(async () => {
        const denied = await call(route, 'dev', bearer(await token([other])))
        expect(denied.res.status).toBe(403)
        expect(denied.reached).toEqual([])
      })
      expect(wrong.split('\n').filter(Boolean)).toHaveLength(1)
    })
  }

  it('lets System:Admin do anything in any namespace', async () => {
    const admin = await token(['System:Admin'])
    for (const route of ROUTES) {
      const { res } = await call(route, 'prod', bearer(admin))
      expect([401, 403, 500], `${route.method} ${route.path('prod')}`).not.toContain(res.status)
    }
  })

  it("never passes the caller's token on to the provider", async () => {
    const t = tag()
    const admin = await token(['System:Admin'])
    const res = await gatewayWith(JWT_AUTH, '/system/functions', {
      headers: { ...t.headers, ...bearer(admin), 'cf-access-jwt-assertion': admin },
    })
    expect(res.status).toBe(200)
    const [req] = await received(t.id)
    expect(req?.headers.authorization).toBeUndefined()
    expect(req?.headers['cf-access-jwt-assertion']).toBeUndefined()
  })

  it('reads the namespace a body names, not only the query', async () => {
    const devAdmin = await token(['Function:Admin'])
    const t = tag()
    const res = await gatewayWith(JWT_AUTH, '/system/functions?namespace=dev', {
      method: 'POST',
      headers: { ...t.headers, ...bearer(devAdmin) },
      body: JSON.stringify({ service: 'echo', image: 'functions/echo:latest', namespace: 'prod' }),
    })
    expect(res.status).toBe(403)
    expect(await received(t.id)).toEqual([])
  })

  it('refuses a secret whose body and query name different namespaces', async () => {
    const res = await gatewayWith(JWT_AUTH, '/system/secrets?namespace=dev', {
      method: 'POST',
      headers: bearer(await token(['Secret:Admin'])),
      body: JSON.stringify({ name: 'k', value: 'v', namespace: 'prod' }),
    })
    expect(res.status).toBe(400)
    expect(await res.text()).toBe('namespace "prod" does not match ?namespace=dev\n')
  })

  it('filters lists to what the token may read instead of refusing them', async () => {
    const list = async (groups: string[], path: string) => {
      const res = await gatewayWith(JWT_AUTH, path, { headers: bearer(await token(groups)) })
      expect(res.status).toBe(200)
      return res.json()
    }
    expect(
      ((await list(['echo-readers'], '/system/functions')) as { name: string }[]).map((f) => f.name),
    ).toEqual(['echo'])
    expect(await list(['other-readers'], '/system/functions')).toEqual([])
    expect(await list(['staging'], '/system/namespaces')).toEqual(['staging'])
    expect(await list(['Function:Read'], '/system/namespaces')).toEqual([])
    expect(await list(['System:Admin'], '/system/namespaces')).toEqual(['openfaas-fn', 'staging'])
  })

  it('answers /system/info to any valid token, and the portal files to anyone', async () => {
    expect((await gatewayWith(JWT_AUTH, '/system/info', { headers: bearer(await token([])) })).status).toBe(
      200,
    )
    expect((await gatewayWith(JWT_AUTH, '/system/info')).status).toBe(401)
    const portal = await gatewayWith(JWT_AUTH, '/ui/')
    expect(portal.status).toBe(200)
    expect(await portal.text()).toContain('<html')
  })
})

function denial(route: (typeof ROUTES)[number]): string {
  // Actions on one function name it; actions on a namespace as a whole say *.
  return /function\/echo|scale-function|logs|"service"|functionName/.test(
    route.path('x') + (route.body?.('x') ? JSON.stringify(route.body('x')) : ''),
  )
    ? 'echo'
    : '*'
}

describe('scoped access: tokens', () => {
  const path = '/system/functions?namespace=dev'
  const read = ['Function:Read']
  const expectInvalid = async (headers: Record<string, string>, reason: string) => {
    const t = tag()
    const log = await loggedWarnings(async () => {
      const res = await gatewayWith(JWT_AUTH, path, { headers: { ...t.headers, ...headers } })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer error="invalid_token", error_description="${reason}"`,
      )
      expect(await res.text()).toBe(`${reason}\n`)
    })
    expect(log).toContain(`access: denied anonymous GET on /system/functions: ${reason}`)
    expect(await received(t.id)).toEqual([])
  }
  const expectValid = async (t: string) =>
    expect((await gatewayWith(JWT_AUTH, path, { headers: bearer(t) })).status).toBe(200)

  it.each(['rs256', 'es256', 'eddsa'] as const)('accepts a token signed with %s', async (key) => {
    await expectValid(await token(read, { key }))
  })

  it('accepts the token from Authorization or from Cf-Access-Jwt-Assertion', async () => {
    const t = await token(read)
    expect((await gatewayWith(JWT_AUTH, path, { headers: { 'cf-access-jwt-assertion': t } })).status).toBe(
      200,
    )
    expect((await gatewayWith(JWT_AUTH, path, { headers: { authorization: `bearer ${t}` } })).status).toBe(
      200,
    )
  })

  it('refuses no token at all', async () => {
    await expectInvalid({}, 'a bearer token is required')
  })

  it.each([
    ['expired beyond the leeway', { exp: now() - 120 }, 'the token has expired'],
    ['not valid for another two minutes', { nbf: now() + 120 }, 'the token is not valid yet'],
    [
      'from another issuer',
      { iss: 'https://issuer.example' },
      'the token was not issued by the accepted issuer',
    ],
    ['for another audience', { aud: 'someone-else' }, 'the token is not meant for this audience'],
    ['without an expiry', { exp: undefined }, 'the token has no exp claim'],
  ])('refuses a token %s', async (_, claims, reason) => {
    await expectInvalid(bearer(await token(read, { claims })), reason)
  })

  it('allows 60 s of clock skew either way', async () => {
    await expectValid(await token(read, { claims: { exp: now() - 30 } }))
    await expectValid(await token(read, { claims: { nbf: now() + 30 } }))
  })

  it('refuses a token it accepted once it expires, though the isolate remembers verifying it', async () => {
    // Inside the leeway for another second.
    const t = await token(read, { claims: { exp: now() - 59 } })
    await expectValid(t)
    await expectValid(t)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    await expectInvalid(bearer(t), 'the token has expired')
  })

  it('refuses a token signed with a key the issuer does not publish, under its own kid or a published one', async () => {
    await expectInvalid(
      bearer(await token(read, { key: 'rogue' })),
      "no signing key of the issuer matches the token's",
    )
    await expectInvalid(
      bearer(await token(read, { key: 'rogue', kid: KEYS.rs256.kid as string })),
      "the token's signature does not verify",
    )
  })

  it('refuses alg none, and HS256 with the public key as its secret', async () => {
    const payload = base64url.encode(
      JSON.stringify({
        sub: 'mallory',
        groups: ['System:Admin'],
        iss: ISSUER,
        aud: AUDIENCE,
        exp: now() + 300,
      }),
    )
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.`
    await expectInvalid(
      bearer(none),
      "the token's signing algorithm is not accepted (RS256, ES256, EdDSA only)",
    )
    const { d: _, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicKey } = KEYS.rs256
    const secret = new TextEncoder().encode(JSON.stringify(publicKey))
    const hs = await new SignJWT({ groups: ['System:Admin'] })
      .setProtectedHeader({ alg: 'HS256', kid: KEYS.rs256.kid as string })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(now() + 300)
      .sign(secret)
    await expectInvalid(
      bearer(hs),
      "the token's signing algorithm is not accepted (RS256, ES256, EdDSA only)",
    )
  })

  it('refuses a truncated token and 10 KB of junk, never with a 500', async () => {
    const t = await token(read)
    await expectInvalid(bearer(t.slice(0, t.lastIndexOf('.') + 12)), "the token's signature does not verify")
    await expectInvalid(bearer(t.slice(0, 40)), 'the token is not a well-formed JWT')
    await expectInvalid(bearer('x'.repeat(10_240)), 'the token is not a well-formed JWT')
    await expectInvalid(
      bearer(`${'a'.repeat(5000)}.${'b'.repeat(5000)}.c`),
      'the token is not a well-formed JWT',
    )
  })

  it('accepts a Cloudflare Access token: email, sub, groups under custom, aud a list', async () => {
    const access = await new SignJWT({
      email: 'ops@example.com',
      type: 'app',
      identity_nonce: 'n0nce',
      custom: { groups: ['platform'] },
    })
      .setProtectedHeader({ alg: 'RS256', kid: KEYS.rs256.kid as string })
      .setIssuer(ISSUER)
      .setAudience([AUDIENCE])
      .setSubject('7335d417-61da-459d-899c-0a01c76a2f94')
      .setIssuedAt()
      .setNotBefore(now())
      .setExpirationTime(now() + 86_400)
      .sign(await importJWK(KEYS.rs256, 'RS256'))
    const res = await gatewayWith(JWT_AUTH, '/system/functions', {
      headers: { 'cf-access-jwt-assertion': access },
    })
    expect(res.status).toBe(200)
  })

  it('finds the keys by OpenID discovery when AUTH_JWKS_URL is not set', async () => {
    const { AUTH_JWKS_URL: _, ...discovering } = JWT_AUTH
    const res = await gatewayWith(discovering, path, { headers: bearer(await token(read, { key: 'eddsa' })) })
    expect(res.status).toBe(200)
  })

  it('keeps serving cached keys through an outage; a new key then is 502, and the key set is fetched at most once a minute', async () => {
    const fetches = async () =>
      ((await (await fetch(`${ISSUER}/__control/fetches`)).json()) as { fetches: number }).fetches
    await expectValid(await token(read, { key: 'es256' }))
    await fetch(`${ISSUER}/__control/outage?on=1`)
    try {
      await expectValid(await token(read, { key: 'es256' }))
      await expectValid(await token(read, { key: 'rs256' }))
      const before = await fetches()
      // An unknown key during the outage: the refetch fails, which is the provider's fault, not the token's.
      const res = await gatewayWith(JWT_AUTH, path, {
        headers: bearer(await token(read, { key: 'rotated' })),
      })
      expect([401, 502]).toContain(res.status)
      await gatewayWith(JWT_AUTH, path, { headers: bearer(await token(read, { key: 'rotated' })) })
      await gatewayWith(JWT_AUTH, path, { headers: bearer(await token(read, { key: 'rotated' })) })
      expect((await fetches()) - before).toBeLessThanOrEqual(1)
    } finally {
      await fetch(`${ISSUER}/__control/outage?on=0`)
    }
  })
})

describe('scoped access: invocations', () => {
  const REQUIRED = { ...JWT_AUTH, AUTH_INVOCATIONS: 'required' }

  it('stay open with JWT auth on, unless the function asks', async () => {
    const t = tag()
    const res = await gatewayWith(JWT_AUTH, '/function/echo', {
      method: 'POST',
      headers: t.headers,
      body: 'hi',
    })
    expect(res.status).toBe(200)
    expect(await received(t.id)).toHaveLength(1)
  })

  it('need Function:Invoke on the function with AUTH_INVOCATIONS=required; the function gets X-Auth-Subject, not the token', async () => {
    const anonymous = tag()
    const refused = await loggedWarnings(async () => {
      const res = await gatewayWith(REQUIRED, '/function/echo', {
        method: 'POST',
        headers: anonymous.headers,
        body: 'x',
      })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toContain('Bearer error="invalid_token"')
    })
    expect(refused).toContain('access: denied anonymous Function:Invoke on openfaas-fn:echo')
    expect(await received(anonymous.id)).toEqual([])

    const reader = tag()
    const forbidden = await gatewayWith(REQUIRED, '/function/echo', {
      method: 'POST',
      headers: { ...reader.headers, ...bearer(await token(['Function:Read'])) },
      body: 'x',
    })
    expect(forbidden.status).toBe(403)
    expect(await forbidden.text()).toBe('alice may not Function:Invoke on openfaas-fn:echo\n')
    expect(await received(reader.id)).toEqual([])

    const invoker = tag()
    const t = await token([], { claims: { custom: { groups: ['platform'] } } })
    const res = await gatewayWith(REQUIRED, '/function/echo', {
      method: 'POST',
      headers: {
        ...invoker.headers,
        authorization: `Bearer ${t}`,
        'cf-access-jwt-assertion': t,
        'x-auth-subject': 'root',
      },
      body: 'x',
    })
    expect(res.status).toBe(200)
    const [req] = await received(invoker.id)
    expect(req?.headers['x-auth-subject']).toBe('alice')
    expect(req?.headers.authorization).toBeUndefined()
    expect(req?.headers['cf-access-jwt-assertion']).toBeUndefined()
  })

  it('never pass a caller-sent X-Auth-Subject on to an open function', async () => {
    const t = tag()
    await gatewayWith(JWT_AUTH, '/function/echo', {
      method: 'POST',
      headers: { ...t.headers, 'x-auth-subject': 'root' },
    })
    const [req] = await received(t.id)
    expect(req?.headers['x-auth-subject']).toBeUndefined()
  })

  it('follow the com.edgefaas.invoke-auth=required label, without waking a function for a caller without a token', async () => {
    const name = `modelled-guarded-${crypto.randomUUID().slice(0, 8)}`
    await fetch(`${upstreamUrl}/__control/model`, {
      method: 'POST',
      body: JSON.stringify({
        name,
        replicas: 0,
        coldStartMs: 50,
        labels: { 'com.edgefaas.invoke-auth': 'required' },
      }),
    })
    const refused = await loggedWarnings(async () => {
      expect((await gatewayWith(JWT_AUTH, `/function/${name}`, { method: 'POST' })).status).toBe(401)
    })
    expect(refused).toContain(`Function:Invoke on openfaas-fn:${name}`)
    const model = async () =>
      (await (await fetch(`${upstreamUrl}/__control/model?name=${name}`)).json()) as { scaleCalls: number[] }
    expect((await model()).scaleCalls).toEqual([])
    const invoker = await token([], { claims: { custom: { groups: ['platform'] } } })
    const res = await gatewayWith(JWT_AUTH, `/function/${name}`, {
      method: 'POST',
      headers: bearer(invoker),
      body: 'hi',
    })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(`served by ${name}: hi`)
    expect((await model()).scaleCalls).toEqual([1])
  })

  it('are checked before a WebSocket is opened to the function, which nothing reaches without a token', async () => {
    const upgrade = { upgrade: 'websocket', connection: 'Upgrade' }
    const anonymous = tag()
    const refused = await gatewayWith(REQUIRED, '/function/echo/chat', {
      headers: { ...anonymous.headers, ...upgrade },
    })
    expect(refused.status).toBe(401)
    expect(refused.webSocket).toBeNull()
    expect(await received(anonymous.id)).toEqual([])
    const reader = tag()
    const forbidden = await gatewayWith(REQUIRED, '/function/echo/chat', {
      headers: { ...reader.headers, ...upgrade, ...bearer(await token(['Function:Read'])) },
    })
    expect(forbidden.status).toBe(403)
    expect(await received(reader.id)).toEqual([])
  })

  it('are checked when an asynchronous call is accepted', async () => {
    expect((await gatewayWith(REQUIRED, '/async-function/echo', { method: 'POST', body: 'x' })).status).toBe(
      401,
    )
    const res = await gatewayWith(REQUIRED, '/async-function/echo', {
      method: 'POST',
      headers: bearer(await token([], { claims: { custom: { groups: ['platform'] } } })),
      body: 'x',
    })
    expect(res.status).toBe(202)
  })
})

describe('scoped access beside basic auth', () => {
  const BOTH = { ...JWT_AUTH, BASIC_AUTH: 'true', BASIC_AUTH_USER: 'admin', BASIC_AUTH_PASSWORD: 'pw' }

  it('takes basic credentials as System:Admin, management and protected invocations alike', async () => {
    const admin = { authorization: basic('admin', 'pw') }
    expect((await gatewayWith(BOTH, '/system/secrets?namespace=prod', { headers: admin })).status).toBe(200)
    const res = await gatewayWith({ ...BOTH, AUTH_INVOCATIONS: 'required' }, '/function/echo', {
      method: 'POST',
      headers: admin,
      body: 'x',
    })
    expect(res.status).toBe(200)
  })

  it('challenges for both when neither is sent, and refuses wrong basic credentials', async () => {
    const res = await gatewayWith(BOTH, '/system/functions')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="a bearer token is required", Basic realm="Restricted"',
    )
    const wrong = await gatewayWith(BOTH, '/system/functions', {
      headers: { authorization: basic('admin', 'no') },
    })
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).toBe('invalid credentials\n')
  })

  it('leaves the portal behind basic auth', async () => {
    expect((await gatewayWith(BOTH, '/ui/')).status).toBe(401)
  })
})

describe('scoped access settings', () => {
  it.each([
    [{ AUTH_JWT_ISSUER: 'https://issuer.example' }, 'AUTH_JWT_AUDIENCE is required with AUTH_JWT_ISSUER'],
    [{ AUTH_JWT_AUDIENCE: 'x' }, 'AUTH_JWT_AUDIENCE needs AUTH_JWT_ISSUER: JWT auth is off'],
    [{ ...JWT_AUTH, AUTH_POLICIES: '{roles:' }, 'AUTH_POLICIES is not JSON'],
    [{ ...JWT_AUTH, AUTH_POLICIES: '{"roles":[],"extra":1}' }, 'AUTH_POLICIES'],
    [
      {
        ...JWT_AUTH,
        AUTH_POLICIES: JSON.stringify({
          roles: [
            {
              name: 'x',
              match: { claim: 'g', value: 'v' },
              allow: [{ actions: ['Function:Fly'], resources: ['a:b'] }],
            },
          ],
        }),
      },
      'must be one of Function:Read',
    ],
    [
      {
        ...JWT_AUTH,
        AUTH_POLICIES: JSON.stringify({
          roles: [
            {
              name: 'x',
              match: { claim: 'g', value: 'v' },
              allow: [{ actions: ['Function:Read'], resources: ['dev'] }],
            },
          ],
        }),
      },
      'must be namespace:function',
    ],
    [{ ...JWT_AUTH, AUTH_INVOCATIONS: 'sometimes' }, 'AUTH_INVOCATIONS must be open or required'],
  ])('refuses %j at start, naming what is wrong', async (vars, message) => {
    const log = await loggedErrors(async () => {
      const res = await gatewayWith(vars, '/healthz')
      expect(res.status).toBe(500)
      expect(await res.text()).toContain(message)
    })
    expect(log).toContain(message)
  })
})
