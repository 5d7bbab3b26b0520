import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import worker from '../../src/index'
import { awaitCallbacks, callbackTo, captureWarnings, defineFunction, header, runs } from './async-helpers'
import { gateway, upstreamUrl } from './helpers'

// Scheduled functions through the worker's own cron handler, driven by a fake clock: each tick is the
// scheduled event of a chosen minute, as Cloudflare delivers it, against functions the test upstream
// lists with the cron-connector's annotations.

const MINUTE = 60_000
const CRON = { topic: 'cron-function', schedule: '* * * * *' }

async function tick(scheduledTime: number): Promise<void> {
  const ctx = createExecutionContext()
  await worker.scheduled(createScheduledController({ scheduledTime, cron: '* * * * *' }), env, ctx)
  await waitOnExecutionContext(ctx)
}

/** Lists the function with these annotations (a deploy or update); `null` unlists it (a delete). */
async function annotate(name: string, annotations: Record<string, string> | null): Promise<void> {
  await fetch(`${upstreamUrl}/__control/async-annotations?name=${name}`, {
    method: 'POST',
    body: JSON.stringify(annotations),
  })
}

async function scheduled(annotations: Record<string, string>, spec = {}): Promise<string> {
  const name = await defineFunction(spec)
  await annotate(name, annotations)
  return name
}

const callIdOf = (name: string, slot: number) => `cron-${name}.openfaas-fn-${new Date(slot).toISOString()}`

/** The next minute after now: the first slot a function seen now can have. */
const nextMinute = () => Math.ceil((Date.now() + 1) / MINUTE) * MINUTE

type View = {
  name: string
  schedule: string
  nextSlot: string | null
  lastSlot: string | null
  missed: number
  error: string | null
  lastRun: { callId: string; state: string; status: number | null } | null
}

async function schedules(): Promise<View[]> {
  const res = await gateway('/system/schedules')
  expect(res.status).toBe(200)
  return res.json()
}
const viewOf = async (name: string) => (await schedules()).find((v) => v.name === name)

/** Waits until the function's runs are exactly `expected`, then a moment more to see none comes late. */
async function expectRuns(name: string, expected: Record<string, number>): Promise<void> {
  await vi.waitUntil(async () => Object.keys(await runs(name)).length >= Object.keys(expected).length, {
    timeout: 10_000,
    interval: 50,
  })
  await new Promise((resolve) => setTimeout(resolve, 500))
  expect(await runs(name)).toEqual(expected)
}

describe('scheduled functions', () => {
  it('run each due slot once, as an asynchronous POST / with the cron-connector headers, however often the event comes', async () => {
    const name = await scheduled(CRON)
    const first = nextMinute()
    // The sync that runs before the tick finds the new function: picked up within one sync.
    await tick(first)
    await expectRuns(name, { [callIdOf(name, first)]: 1 })
    const headers = (
      (await (await fetch(`${upstreamUrl}/__control/async-function?name=${name}`)).json()) as {
        headers: Record<string, Record<string, string>>
      }
    ).headers[callIdOf(name, first)]
    expect(headers?.['x-connector']).toBe('cron-connector')
    expect(headers?.['x-topic']).toBe('cron-function')
    expect(headers?.['x-schedule-slot']).toBe(new Date(first).toISOString())

    // The same event again, and the next one delivered twice at once: each slot still runs once.
    await tick(first)
    await Promise.all([tick(first + MINUTE), tick(first + MINUTE)])
    await expectRuns(name, { [callIdOf(name, first)]: 1, [callIdOf(name, first + MINUTE)]: 1 })

    const view = await viewOf(name)
    expect(view).toMatchObject({
      schedule: '* * * * *',
      lastSlot: new Date(first + MINUTE).toISOString(),
      nextSlot: new Date(Math.max(first + 2 * MINUTE, nextMinute())).toISOString(),
      missed: 0,
      error: null,
    })
    expect(view?.lastRun).toMatchObject({ callId: callIdOf(name, first + MINUTE), status: 200 })
    await annotate(name, null)
  }, 30_000)

  it('follow the catch-up rule for slots the gateway missed: last by default, none, or all', async () => {
    // Every five minutes: a tick two minutes after a slot finds none on time.
    const every5 = { ...CRON, schedule: '*/5 * * * *' }
    const last = await scheduled(every5)
    const none = await scheduled({ ...every5, 'com.edgefaas.schedule.catch-up': 'none' })
    const all = await scheduled({ ...every5, 'com.edgefaas.schedule.catch-up': 'all' })
    const first = Math.ceil((Date.now() + 1) / (5 * MINUTE)) * 5 * MINUTE
    await tick(first)
    // Three slots go by with no tick, and the next comes two minutes after the last of them.
    const slots = [1, 2, 3].map((n) => first + n * 5 * MINUTE)
    await tick(first + 17 * MINUTE)
    await expectRuns(last, { [callIdOf(last, first)]: 1, [callIdOf(last, first + 15 * MINUTE)]: 1 })
    await expectRuns(none, { [callIdOf(none, first)]: 1 })
    await expectRuns(all, Object.fromEntries([first, ...slots].map((slot) => [callIdOf(all, slot), 1])))
    expect((await viewOf(last))?.missed).toBe(2)
    expect((await viewOf(none))?.missed).toBe(3)
    expect((await viewOf(all))?.missed).toBe(0)
    for (const name of [last, none, all]) await annotate(name, null)
  }, 30_000)

  it('stop when the function is deleted, and take a changed schedule from the next sync', async () => {
    const name = await scheduled(CRON)
    const first = nextMinute()
    await tick(first)
    await expectRuns(name, { [callIdOf(name, first)]: 1 })
    await annotate(name, { ...CRON, schedule: '0 0 1 1 *' })
    await tick(first + MINUTE)
    expect((await viewOf(name))?.schedule).toBe('0 0 1 1 *')
    await annotate(name, null)
    await tick(first + 2 * MINUTE)
    expect(await viewOf(name)).toBeUndefined()
    await expectRuns(name, { [callIdOf(name, first)]: 1 })
  }, 30_000)

  it('report a bad schedule without blocking the others', async () => {
    const bad = await scheduled({ ...CRON, schedule: 'every tuesday' })
    const good = await scheduled(CRON)
    const first = nextMinute()
    await tick(first)
    await expectRuns(good, { [callIdOf(good, first)]: 1 })
    expect(await runs(bad)).toEqual({})
    const view = await viewOf(bad)
    expect(view?.error).toMatch(/every tuesday|field/)
    expect(view?.nextSlot).toBeNull()
    for (const name of [bad, good]) await annotate(name, null)
  }, 30_000)

  it('give up a slot whose call can never be sent, saying why, instead of sending it every tick', async () => {
    captureWarnings()
    const name = await scheduled({ ...CRON, 'com.edgefaas.schedule.callback-url': 'ftp://files.example/x' })
    const first = nextMinute()
    await tick(first)
    await tick(first + MINUTE)
    const view = (await schedules()).find((v) => v.name === name) as View & {
      pending: number
      lastRun: { state: string; error: string | null }
    }
    expect(view.pending).toBe(0)
    expect(view.lastRun).toMatchObject({ callId: callIdOf(name, first + MINUTE), state: 'not queued' })
    expect(view.lastRun.error).toContain('com.edgefaas.schedule.callback-url')
    expect(await runs(name)).toEqual({})
    await annotate(name, null)
  }, 30_000)

  it('retry a run that fails, then dead-letter it', async () => {
    captureWarnings()
    const name = await scheduled(CRON, { fail: 99, code: 500, attempts: 2 })
    const first = nextMinute()
    await tick(first)
    const callId = callIdOf(name, first)
    await vi.waitUntil(
      async () => {
        const res = await gateway('/system/async/dead-letters')
        return ((await res.json()) as { callId: string }[]).some((l) => l.callId === callId)
      },
      { timeout: 15_000, interval: 200 },
    )
    expect((await runs(name))[callId]).toBe(2)
    await annotate(name, null)
  }, 30_000)

  it('send the answer to com.edgefaas.schedule.callback-url', async () => {
    const callback = callbackTo()
    const name = await scheduled({ ...CRON, 'com.edgefaas.schedule.callback-url': callback.url })
    const first = nextMinute()
    await tick(first)
    const [delivered] = await awaitCallbacks(callback.id)
    expect(header(delivered as never, 'x-call-id')).toBe(callIdOf(name, first))
    await annotate(name, null)
  }, 30_000)
})
