import fc from 'fast-check'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { checkCase, rawCase } from './cases'
import { type RawGateway, startRawGateway } from './harness'

// Generated raw requests against the production bundle in workerd. Whatever
// the path, method, Host or body, an unauthenticated request never makes the
// provider receive a target outside /function/ (the health check aside), and
// an invocation never reaches the provider outside its own function.

const CASES = 10_000

describe('raw requests, by property', () => {
  let guarded: RawGateway
  let open: RawGateway
  beforeAll(async () => {
    guarded = await startRawGateway({
      BASIC_AUTH: 'true',
      BASIC_AUTH_USER: 'admin',
      BASIC_AUTH_PASSWORD: 'pw',
    })
    open = await startRawGateway({ BASIC_AUTH: 'false' })
  })
  afterAll(async () => {
    await guarded?.close()
    await open?.close()
  })

  it(`with auth on and no credentials, nothing reaches the provider outside the invoked function (${CASES} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(rawCase, (r) => checkCase(guarded, r, { authOn: true })),
      { numRuns: CASES },
    )
  }, 180_000)

  it('with auth off, invocations never reach the provider outside their function (2,000 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(rawCase, (r) => checkCase(open, r, { authOn: false })),
      { numRuns: 2_000 },
    )
  }, 60_000)
})
