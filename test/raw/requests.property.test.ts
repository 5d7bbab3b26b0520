import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RawGateway, startRawGateway } from './harness'
import { type Outcomes, oracle } from './request-oracle'
import { hostileRequest, PASSWORD, USER } from './requests'

// Hostile raw requests on every route, with basic auth on and off, against the
// production bundle in workerd (test/raw/requests.ts makes them,
// test/raw/request-oracle.ts says what must hold). With the path property
// (raw-paths.property.test.ts, 12,000 cases) a run checks over 30,000 requests.

const DEFAULT_CASES = 10_000
const CASES = Number(process.env.FUZZ_CASES ?? DEFAULT_CASES)

// Most of the oracle's checks hold only for some requests, so a run must show it met each kind, at least
// this many times in 10,000 cases: a quarter or so of the fewest measured in runs with auth on and off (the
// ranges follow), so that a generator that stops making a kind fails, and chance does not.
// Enforced, scaled, in runs of the default length or longer: a short FUZZ_CASES run while iterating need
// not meet the rare kinds (an oversized head is one case in 200).
const FLOORS: Record<keyof Outcomes, number> = {
  invoked: 200, // 866 to 969
  managed: 250, // 1,068 to 1,092 with auth on (those without credentials are refused), 2,303 to 2,375 off
  guardedRefused: 800, // 3,292 to 3,485, with auth on; never counted with auth off
  overLimit: 25, // 117 to 138
  unknownMethod: 100, // 547 to 582
  oversizeUrl: 10, // 42 to 61
  oversizeHead: 10, // 37 to 60
}

describe('hostile requests, by property', () => {
  let guarded: RawGateway
  let open: RawGateway
  beforeAll(async () => {
    guarded = await startRawGateway({
      BASIC_AUTH: 'true',
      BASIC_AUTH_USER: USER,
      BASIC_AUTH_PASSWORD: PASSWORD,
    })
    open = await startRawGateway({ BASIC_AUTH: 'false' })
  })
  afterAll(async () => {
    await guarded?.close()
    await open?.close()
  })

  it.each([
    ['on', () => guarded, true],
    ['off', () => open, false],
  ] as const)(
    `with basic auth %s: never 500, nothing forwarded outside the invoked function or /system/, nothing guarded reached without credentials (${CASES} cases)`,
    async (_, gateway, authOn) => {
      const check = oracle(gateway(), authOn)
      await fc.assert(
        fc.asyncProperty(hostileRequest, (r) => check.check(r)),
        { numRuns: CASES },
      )
      if (CASES < DEFAULT_CASES) return
      const seen = check.outcomes()
      for (const [kind, floor] of Object.entries(FLOORS) as [keyof Outcomes, number][]) {
        if (kind === 'guardedRefused' && !authOn) continue
        expect(seen[kind], `${kind} in ${CASES} cases`).toBeGreaterThanOrEqual(
          (floor * CASES) / DEFAULT_CASES,
        )
      }
    },
    300_000,
  )
})
