import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { functionPath, parseFunctionTarget } from '../../src/http/function-path'
import { isPublicPath } from '../../src/http/public-paths'
import { dnsLabel } from '../../src/schemas/openfaas'
import { gatewayWith, received, tag } from './helpers'

// Pieces that path tricks are made of: separators, dot segments, encodings of both, case and trailing dots.
const piece = fc.constantFrom(
  '/',
  '//',
  '\\',
  '.',
  '..',
  '%2e',
  '%2E',
  '%2f',
  '%2F',
  '%5c',
  '%252e',
  '%252f',
  '%00',
  '%20',
  ';',
  'system',
  'SYSTEM',
  'System',
  'ui',
  'UI',
  'function',
  'async-function',
  'healthz',
  'functions',
  'secrets',
  'echo',
  'echo.ns',
  '%73ystem',
  'system.',
)
// One path in three starts at a route that is public, so tricks appended to an invocation (public, or
// only looking it) come up often: from the root alone, 12 to 24 paths in 5,000 were public and none of 150
// was forwarded.
const start = fc.oneof(
  { weight: 2, arbitrary: fc.constant('/') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '/function/echo/',
      '/function/echo',
      '/function/echo.openfaas-fn/',
      '/async-function/echo/',
      '/healthz',
    ),
  },
)
const path = fc
  .tuple(start, fc.array(piece, { minLength: 1, maxLength: 10 }))
  .map(([from, parts]) => from + parts.join(''))
const AUTH = { BASIC_AUTH: 'true', BASIC_AUTH_USER: 'admin', BASIC_AUTH_PASSWORD: 'pw' }

/**
 * A property that asserts only in some cases proves nothing if those cases never came up: each kind of
 * case counted must have made at least 1% of the runs (the floors below are well under what was measured).
 */
function expectEachMet(seen: Record<string, number>, runs: number): void {
  for (const [kind, count] of Object.entries(seen)) {
    expect(count, `${kind} cases of ${runs}`).toBeGreaterThanOrEqual(Math.ceil(runs / 100))
  }
}

describe('public paths, by property', () => {
  // An oracle independent of the implementation: decode fully, then let the WHATWG URL parser resolve it.
  function reachesGuarded(url: string): boolean {
    let p = new URL(url).pathname
    for (let i = 0; i < 4; i++) p = decodeURIComponent(p)
    const resolved = new URL(p.replace(/^[/\\]+/, '/'), 'http://oracle.test').pathname.toLowerCase()
    const first = resolved
      .split('/')
      .find(Boolean)
      ?.replace(/[.\s]+$/, '')
    return first === 'system' || first === 'ui'
  }

  it('never calls a path public whose normalised form reaches /system or /ui', () => {
    // Measured: about 1,070 public paths in 5,000, the rest not.
    const seen = { public: 0, guarded: 0 }
    fc.assert(
      fc.property(path, (p) => {
        const url = `http://gateway.test${p}`
        if (!isPublicPath(url)) return void seen.guarded++
        seen.public++
        expect(reachesGuarded(url)).toBe(false)
      }),
      { numRuns: 5000 },
    )
    expectEachMet(seen, 5000)
  })

  it('never forwards an unauthenticated request for a generated path to /system on the provider', async () => {
    // Measured in 150 runs: 33 to 36 not refused with 401, 13 to 22 forwarded.
    const seen = { notRefused: 0, forwarded: 0 }
    await fc.assert(
      fc.asyncProperty(path, async (p) => {
        const t = tag()
        const res = await gatewayWith(AUTH, p, { headers: t.headers })
        const forwarded = await received(t.id)
        if (forwarded.length > 0) seen.forwarded++
        if (res.status !== 401) {
          seen.notRefused++
          for (const r of forwarded) expect(r.url.startsWith('/function/') || r.url === '/healthz').toBe(true)
        }
      }),
      { numRuns: 150 },
    )
    expectEachMet(seen, 150)
  })
})

describe('function paths, by property', () => {
  // Names that can be deployed: DNS-1123 labels.
  const label = (max: number) => fc.stringMatching(new RegExp(`^[a-z0-9]([-a-z0-9]{0,${max - 2}}[a-z0-9])?$`))
  const name = label(20)
  const namespace = fc.option(label(10), { nil: undefined })
  // Paths a function may be called with: anything without a dot segment, which the gateway refuses in any
  // spelling webPath can produce: `.`, `..`, `...`, `%2e`, and any of them cut short by `;` (`.;x`).
  const rest = fc.option(
    fc.webPath().filter((p) => !p.split('/').some((segment) => /^(\.|%2e)+(;.*)?$/i.test(segment))),
    { nil: '' },
  )
  const query = fc.option(
    fc.webQueryParameters().map((q) => `?${q}`),
    { nil: '' },
  )

  it('sends the provider the same path and query the caller used', () => {
    fc.assert(
      fc.property(name, namespace, rest, query, (n, ns, r, q) => {
        const restPath = r && !r.startsWith('/') ? `/${r}` : r
        const segment = ns ? `${n}.${ns}` : n
        const target = parseFunctionTarget(`http://gw.test/function/${segment}${restPath}${q}`, '/function/')
        expect('status' in target).toBe(false)
        if ('status' in target) return
        expect(target.name).toBe(n)
        expect(target.namespace).toBe(ns)
        expect(functionPath(target) + target.search).toBe(`/function/${segment}${restPath}${q}`)
      }),
      { numRuns: 1000 },
    )
  })

  // The oracle is the deploy-time schema: a segment is a function only if its name, and its namespace
  // after the last dot, would pass as a deployed service and namespace.
  const deployable = (segment: string) => {
    const dot = segment.lastIndexOf('.')
    const parts = dot === -1 ? [segment] : [segment.slice(0, dot), segment.slice(dot + 1)]
    return parts.every((part) => dnsLabel.safeParse(part).success)
  }
  const segment = fc.oneof(
    fc.stringMatching(/^[-a-zA-Z_0-9.]{1,70}$/),
    fc
      .array(fc.constantFrom('a', 'z', '0', '-', '.', '..', 'A', '_', '%2e', '%20', '!'), {
        minLength: 1,
        maxLength: 12,
      })
      .map((parts) => parts.join('')),
  )

  it('answers 404 exactly for the names that could not have been deployed', () => {
    // Measured: 107 to 121 deployable segments in 2,000, the rest not.
    const seen = { deployable: 0, undeployable: 0 }
    fc.assert(
      fc.property(segment, rest, (s, r) => {
        const restPath = r && !r.startsWith('/') ? `/${r}` : r
        const target = parseFunctionTarget(`http://gw.test/function/${s}${restPath}`, '/function/')
        const found = deployable(s)
        seen[found ? 'deployable' : 'undeployable']++
        expect('status' in target ? target.status : 'found').toBe(found ? 'found' : 404)
      }),
      { numRuns: 2000 },
    )
    expectEachMet(seen, 2000)
  })

  it('treats dot segments and an empty name as no such function', () => {
    for (const raw of ['/function/..', '/function/.', '/function/../system/functions', '/function//x']) {
      expect(parseFunctionTarget(`http://gw.test${raw}`, '/function/')).toMatchObject({ status: 404 })
    }
  })
})
