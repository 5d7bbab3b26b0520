import fc from 'fast-check'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { type RawGateway, startRawGateway } from './harness'
import { oracle } from './request-oracle'
import { hostileRequest, PASSWORD, USER } from './requests'

// Hostile raw requests on every route, with basic auth on and off, against the
// production bundle in workerd (test/raw/requests.ts makes them,
// test/raw/request-oracle.ts says what must hold). With the path property
// (paths.property.test.ts, 12,000 cases) a run checks over 30,000 requests.

const CASES = Number(process.env.FUZZ_CASES ?? 10_000)

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
    },
    300_000,
  )
})
