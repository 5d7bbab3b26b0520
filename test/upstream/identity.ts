import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWK } from 'jose'

/** Private keys the tests sign with, each with its `kid` and `alg`; `rogue` is never published. */
export type SigningKeys = Record<'rs256' | 'es256' | 'eddsa' | 'rogue' | 'rotated', JWK>

/**
 * An OpenID provider's public face on loopback: the discovery document and a
 * JSON Web Key Set with keys made when it starts. `/__control/publish-rotated`
 * adds the `rotated` key to the set (a key rotation), `/__control/outage?on=1`
 * makes the key set answer 503, and `/__control/fetches` says how often the
 * key set was fetched.
 */
export async function startIdentity(): Promise<{ url: string; keys: SigningKeys; close(): Promise<void> }> {
  const make = async (name: keyof SigningKeys, alg: string, options?: { crv: string }) => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...options })
    const kid = `${name}-${Math.random().toString(36).slice(2, 8)}`
    return {
      name,
      private: { ...(await exportJWK(privateKey)), kid, alg },
      public: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
    }
  }
  const made = await Promise.all([
    make('rs256', 'RS256'),
    make('es256', 'ES256'),
    make('eddsa', 'EdDSA', { crv: 'Ed25519' }),
    make('rogue', 'RS256'),
    make('rotated', 'ES256'),
  ])
  const keys = Object.fromEntries(made.map((k) => [k.name, k.private])) as SigningKeys
  const published = new Set(['rs256', 'es256', 'eddsa'])
  let outage = false
  let fetches = 0
  let url = ''
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://identity').pathname
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (path === '/.well-known/openid-configuration')
      return json(200, { issuer: url, jwks_uri: `${url}/jwks` })
    if (path === '/jwks') {
      fetches++
      if (outage) return json(503, { error: 'down for maintenance' })
      return json(200, { keys: made.filter((k) => published.has(k.name)).map((k) => k.public) })
    }
    if (path === '/__control/publish-rotated') {
      published.add('rotated')
      return json(200, {})
    }
    if (path === '/__control/outage') {
      outage = new URL(req.url ?? '/', 'http://identity').searchParams.get('on') === '1'
      return json(200, {})
    }
    if (path === '/__control/fetches') return json(200, { fetches })
    json(404, { error: 'no such path' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { url, keys, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}
