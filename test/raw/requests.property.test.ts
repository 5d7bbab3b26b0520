import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RawGateway } from './harness'
import { type Access, type Outcomes, oracle } from './request-oracle'
import { type HostileRequest, hostileRequest, tokenRequest } from './requests'
import { startAuthModes } from './tokens'

// Hostile raw requests on every route, with basic auth on and off, and with JWT auth on (every invocation
// asking for a token), against the production bundle in workerd (test/raw/requests.ts makes them,
// test/raw/request-oracle.ts says what must hold). With the path property (raw-paths.property.test.ts,
// 20,000 cases) a run checks 48,000 requests.

const DEFAULT_CASES = 10_000
const CASES = Number(process.env.FUZZ_CASES ?? DEFAULT_CASES)
// The JWT run: fewer cases, as its requests spread over more kinds of credentials.
const DEFAULT_JWT_CASES = 8_000
const JWT_CASES = Math.round((CASES * DEFAULT_JWT_CASES) / DEFAULT_CASES)

// Most of the oracle's checks hold only for some requests, so a run must show it met each kind, at least
// this many times in 10,000 cases: a quarter or so of the fewest measured in runs with auth on and off (the
// ranges follow), so that a generator that stops making a kind fails, and chance does not.
// Enforced, scaled, in runs of the default length or longer: a short FUZZ_CASES run while iterating need
// not meet the rare kinds (an oversized head is one case in 200).
const FLOORS: Record<keyof Outcomes, number> = {
  invoked: 200, // 866 to 969
  managed: 250, // 1,068 to 1,092 with auth on (those without credentials are refused), 2,303 to 2,375 off
  guardedRefused: 800, // 3,292 to 3,485, with auth on; never counted with auth off
  // With JWT auth only.
  junkRefused: 0,
  forbidden: 0,
  filteredRead: 0,
  invocationUnauthorized: 0,
  invocationForbidden: 0,
  overLimit: 25, // 117 to 138
  unknownMethod: 100, // 547 to 582
  oversizeUrl: 10, // 42 to 61
  oversizeHead: 10, // 37 to 60
}

// The same for the JWT run, in its 8,000 cases (ranges measured in 7 runs). Its requests spread over more
// credentials, so fewer reach the provider: only the admin's token manages, the admin's and the invoker's
// invoke.
const JWT_FLOORS: Record<keyof Outcomes, number> = {
  invoked: 55, // 221 to 258, with the admin's or the invoker's token
  managed: 115, // 469 to 533, with the admin's token, or a read any valid token may make
  guardedRefused: 500, // 2,028 to 2,154, without a valid token
  junkRefused: 300, // 1,180 to 1,240
  forbidden: 100, // 414 to 472
  filteredRead: 4, // 16 to 21
  invocationUnauthorized: 110, // 447 to 521
  invocationForbidden: 25, // 98 to 124
  overLimit: 22, // 89 to 116
  unknownMethod: 100, // 433 to 468
  oversizeUrl: 9, // 37 to 48
  oversizeHead: 8, // 34 to 45
}

describe('hostile requests, by property', () => {
  let modes: Awaited<ReturnType<typeof startAuthModes>>
  beforeAll(async () => {
    modes = await startAuthModes({ AUTH_INVOCATIONS: 'required' })
  })
  afterAll(() => modes?.close())

  async function run(
    gateway: RawGateway,
    access: Access,
    requests: fc.Arbitrary<HostileRequest>,
    cases: number,
    defaultCases: number,
    floors: Record<keyof Outcomes, number>,
  ) {
    const check = oracle(gateway, access)
    await fc.assert(
      fc.asyncProperty(requests, (r) => check.check(r)),
      { numRuns: cases },
    )
    const seen = check.outcomes()
    if (cases < defaultCases) return
    for (const [kind, floor] of Object.entries(floors) as [keyof Outcomes, number][])
      expect(seen[kind], `${kind} in ${cases} cases`).toBeGreaterThanOrEqual((floor * cases) / defaultCases)
  }

  it.each([
    ['on', () => modes.guarded, true],
    ['off', () => modes.open, false],
  ] as const)(
    `with basic auth %s: never 500, nothing forwarded outside the invoked function or /system/, nothing guarded reached without credentials (${CASES} cases)`,
    async (_, gateway, authOn) => {
      const floors = { ...FLOORS, ...(authOn ? {} : { guardedRefused: 0 }) }
      await run(gateway(), authOn ? 'basic' : 'open', hostileRequest, CASES, DEFAULT_CASES, floors)
    },
    300_000,
  )

  it(`with JWT auth on and every function asking for a token: never 500, nothing guarded and no function reached without a token allowing it, junk tokens refused (${JWT_CASES} cases)`, async () => {
    const { tokens } = modes.issuer
    await run(modes.scoped, { tokens }, tokenRequest(tokens), JWT_CASES, DEFAULT_JWT_CASES, JWT_FLOORS)
  }, 300_000)
})
