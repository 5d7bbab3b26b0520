import {
  createExecutionContext,
  createMessageBatch,
  evictAllDurableObjects,
  getQueueResult,
} from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import worker from '../../src/index'
import { ledgerFor } from '../../src/queue/ledger/shards'
import type { AsyncMessage } from '../../src/queue/message'
import type { Callback } from '../upstream/callback-record'
import {
  asyncMessage,
  callbacks,
  callbackTo,
  captureWarnings,
  defineFunction,
  header,
  runs,
} from './async-helpers'
import { upstreamUrl } from './helpers'

// Every callback carries exactly its own call's result, whatever happens to the deliveries on the way:
// duplicates in a batch, redeliveries after the call settled, a delivery that died holding the call
// (its lease runs out), a delivery that lost its lease and tries to record an answer late, restarts of
// every Durable Object between rounds, and the function scaled to zero behind the gateway's back. All
// calls share one callback receiver, so a result delivered to the wrong call would be seen.

const HOUR = 3_600_000
const encoder = new TextEncoder()

/** What happens to one call on its way. */
type Plan = {
  /** Its first runs that fail with 503 (retried). */
  failRuns: number
  /** A result over the ledger's 64 KiB row limit, kept in R2 until delivered. */
  large: boolean
  /** Sent twice in the same batch. */
  duplicate: boolean
  /** Delivered once more after it settled. */
  redelivered: boolean
  /** A delivery took it and died before it ran: the next waits out the lease. */
  dead: boolean
  /** A delivery took it, lost its lease, and tries to record another call's answer while the call runs. */
  ghost: boolean
}

type Round = { plans: Plan[]; scaledDown: boolean; restart: boolean }

const plan: fc.Arbitrary<Plan> = fc.record({
  failRuns: fc.integer({ min: 0, max: 2 }),
  large: fc.boolean(),
  duplicate: fc.boolean(),
  redelivered: fc.boolean(),
  dead: fc.boolean(),
  ghost: fc.boolean(),
})
const round: fc.Arbitrary<Round> = fc.record({
  plans: fc.array(plan, { minLength: 1, maxLength: 5 }),
  scaledDown: fc.boolean(),
  restart: fc.boolean(),
})

/** How often each kind of trouble was met, across every generated case: each must have been. */
const seen = {
  failed: 0,
  large: 0,
  duplicate: 0,
  redelivered: 0,
  dead: 0,
  ghost: 0,
  scaledDown: 0,
  restart: 0,
}

type Sent = { message: AsyncMessage; plan: Plan; body: string; tag: string; repeat: number }

function sent(name: string, callbackUrl: string, p: Plan, i: number): Sent {
  const callId = crypto.randomUUID()
  const body = `call ${i} ${callId} ${crypto.randomUUID()}\n`
  const tag = crypto.randomUUID()
  // ~70 bytes a line: 1,500 lines is ~100 KiB, over the 64 KiB kept in the ledger's row.
  const repeat = p.large ? 1_500 : 1
  return {
    plan: p,
    body,
    tag,
    repeat,
    message: asyncMessage(name, {
      callId,
      callbackUrl,
      body: encoder.encode(body),
      headers: [
        ['x-echo-tag', tag],
        ['x-fail-runs', String(p.failRuns)],
        ['x-answer-repeat', String(repeat)],
      ],
    }),
  }
}

const keyOf = (m: AsyncMessage) => ({
  callId: m.callId,
  nonce: m.nonce,
  fn: `${m.fn.name}.${m.fn.namespace}`,
})

/** One batch through the queue handler: what it acked and what it asked to have delivered again. */
async function deliverBatch(messages: AsyncMessage[]): Promise<AsyncMessage[]> {
  const byId = new Map(messages.map((m, i) => [`msg-${i}-${crypto.randomUUID()}`, m]))
  const batch = createMessageBatch(
    'edgefaas-async',
    [...byId].map(([id, body]) => ({ id, timestamp: new Date(), attempts: 1, body })),
  )
  const ctx = createExecutionContext()
  await worker.queue(batch, env, ctx)
  const result = await getQueueResult(batch, ctx)
  return result.retryMessages.map((r) => byId.get(r.msgId) as AsyncMessage)
}

/** Delivers until every message is acked, as the queue would (its retry delays skipped). */
async function deliverAll(messages: AsyncMessage[]): Promise<void> {
  let pending = messages
  for (let i = 0; pending.length > 0; i++) {
    if (i === 12) throw new Error(`still retried after 12 deliveries: ${pending.map((m) => m.callId)}`)
    pending = await deliverBatch(pending)
  }
}

const control = (path: string) => fetch(`${upstreamUrl}/__control/${path}`, { method: 'POST' })

/** A ghost delivery: it took the call, its lease ran out, and it answers late, while the real run is in the function. */
async function ghostly(name: string, s: Sent, other: Uint8Array): Promise<void> {
  const ledger = ledgerFor(env, s.message.callId)
  expect(await ledger.begin(keyOf(s.message), 1, HOUR, null)).toEqual({ kind: 'run', attempt: 1 })
  await new Promise((resolve) => setTimeout(resolve, 5))
  await control(`async-hold?name=${name}&call=${s.message.callId}&runs=1`)
  const delivering = deliverAll([s.message])
  await vi.waitUntil(
    async () => {
      const hold = await control(`async-hold?name=${name}&call=${s.message.callId}&runs=0`)
      return ((await hold.json()) as { held: number }).held === 1
    },
    { timeout: 10_000, interval: 20 },
  )
  const late = await ledger.finished(
    keyOf(s.message),
    1,
    'completed',
    { status: 200, headers: [['x-echo-tag', 'not mine']], durationMs: 1, body: { inline: other } },
    HOUR,
  )
  expect(late, 'a delivery whose lease ran out records nothing').toBe(false)
  await control(`async-release?name=${name}&call=${s.message.callId}`)
  await delivering
}

async function runRound(name: string, callbackUrl: string, r: Round, all: Sent[]): Promise<void> {
  const calls = r.plans.map((p, i) => sent(name, callbackUrl, p, all.length + i))
  all.push(...calls)
  if (r.scaledDown) {
    seen.scaledDown++
    await control(`async-replicas?name=${name}&replicas=0`)
  }
  const ghosts = calls.filter((c) => c.plan.ghost)
  const others = calls.filter((c) => !c.plan.ghost)
  for (const c of others)
    if (c.plan.dead) {
      seen.dead++
      await ledgerFor(env, c.message.callId).begin(keyOf(c.message), 1, HOUR, null)
    }
  await new Promise((resolve) => setTimeout(resolve, 5))
  const batch = others.flatMap((c) => (c.plan.duplicate ? [c.message, c.message] : [c.message]))
  // Counted here, not with the rest below: a ghost is delivered alone, so its plan's duplicate does nothing.
  seen.duplicate += others.filter((c) => c.plan.duplicate).length
  await deliverAll(batch)
  for (const g of ghosts) {
    seen.ghost++
    await ghostly(name, g, encoder.encode(calls[0]?.body ?? 'someone else'))
  }
  const again = calls.filter((c) => c.plan.redelivered).map((c) => c.message)
  if (again.length > 0) expect(await deliverBatch(again), 'a settled call is only acked').toEqual([])
  for (const c of calls) {
    if (c.plan.failRuns > 0) seen.failed++
    if (c.plan.large) seen.large++
    if (c.plan.redelivered) seen.redelivered++
  }
  if (r.restart) {
    seen.restart++
    await evictAllDurableObjects()
  }
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(text))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

async function expectOwnResults(name: string, id: string, all: Sent[]): Promise<void> {
  const list = await vi.waitUntil(
    async () => {
      const got = (await callbacks(id)).callbacks
      return got.length >= all.length ? got : undefined
    },
    { timeout: 20_000, interval: 50 },
  )
  // Strays would come late: give them the time to.
  await new Promise((resolve) => setTimeout(resolve, 200))
  const final = (await callbacks(id)).callbacks
  expect(final.length, 'one callback per call').toBe(all.length)
  const byCall = new Map<string, Callback[]>()
  for (const cb of list) {
    const callId = header(cb, 'x-call-id') ?? ''
    byCall.set(callId, [...(byCall.get(callId) ?? []), cb])
  }
  const ran = await runs(name)
  for (const s of all) {
    const [cb, ...more] = byCall.get(s.message.callId) ?? []
    const what = `call ${s.message.callId} (${JSON.stringify(s.plan)})`
    expect(more, `${what}: exactly one callback`).toEqual([])
    expect(cb, `${what}: a callback`).toBeDefined()
    if (!cb) continue
    const expected = s.body.repeat(s.repeat)
    expect(header(cb, 'x-function-status'), what).toBe('200')
    expect(header(cb, 'x-function-name'), what).toBe(name)
    expect(header(cb, 'x-echo-tag'), `${what}: its own headers`).toBe(s.tag)
    expect(cb.bytes, `${what}: its own body`).toBe(encoder.encode(expected).byteLength)
    expect(cb.sha256, `${what}: its own body`).toBe(await sha256(expected))
    expect(cb.text.slice(0, s.body.length), what).toBe(s.body)
    expect(ran[s.message.callId], `${what}: runs`).toBe(s.plan.failRuns + 1)
  }
}

describe('asynchronous callbacks, property: each carries its own call’s result', () => {
  it('across duplicates, redeliveries, lost leases, restarts and scale-downs', async () => {
    captureWarnings()
    await fc.assert(
      fc.asyncProperty(fc.array(round, { minLength: 1, maxLength: 3 }), async (rounds) => {
        // Attempts: a dead delivery's, two failed runs and the one that succeeds.
        const name = await defineFunction({ attempts: 4 })
        const cb = callbackTo()
        const all: Sent[] = []
        for (const r of rounds) await runRound(name, cb.url, r, all)
        await expectOwnResults(name, cb.id, all)
      }),
      { numRuns: 12, endOnFailure: true },
    )
    for (const [kind, count] of Object.entries(seen)) expect(count, `cases with ${kind}`).toBeGreaterThan(0)
  }, 240_000)
})
