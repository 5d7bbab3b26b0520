import type { Config } from '../config'
import type { Bindings } from '../env'
import { type FunctionRef, functionKey } from '../function-ref'
import { asyncFunctionPath } from '../http/function-path'
import { logLine } from '../observe/call-log'
import { continueTrace, propagate, type Trace } from '../observe/trace-context'
import { checkCallbackUrl } from '../queue/callback-url'
import { enqueue } from '../queue/produce'
import type { Background } from '../scale/from-zero'
import type { ScheduleSpec } from './annotations'

/** One claimed slot of one function: its call id and enqueue nonce follow from both, so a re-send is the same call. */
export type Claim = { slot: number; callId: string; nonce: string }

export function claimFor(fn: FunctionRef, slot: number): Claim {
  const id = `cron-${functionKey(fn)}-${new Date(slot).toISOString()}`
  return { slot, callId: id, nonce: id }
}

type Sent = { ok: true } | { ok: false; status: number; error: string; again: boolean }

/**
 * Puts a scheduled run on the queue as an asynchronous call: `POST /` with no
 * body and the cron-connector's headers, so it gets retries, the dead-letter
 * queue, replay and counting like any other, and wakes its function from zero.
 * Each run starts a trace of its own, which the run and its callback continue,
 * and writes its line in the call log, sent or not.
 */
export async function enqueueRun(
  env: Bindings,
  config: Config,
  background: Background,
  spec: ScheduleSpec,
  claim: Claim,
): Promise<{ ok: true } | { ok: false; error: string; again: boolean }> {
  const startedAt = Date.now()
  const trace = continueTrace(null, null)
  const sent = await send(env, config, background, spec, claim, trace)
  logLine(config.log, {
    kind: 'schedule',
    callId: claim.callId,
    function: spec.fn.name,
    namespace: spec.fn.namespace,
    method: 'POST',
    path: asyncFunctionPath({ ...spec.fn, rest: '' }),
    status: sent.ok ? 202 : sent.status,
    durationMs: Date.now() - startedAt,
    traceId: trace.traceId,
    ...(sent.ok ? {} : { error: `slot ${new Date(claim.slot).toISOString()}: ${sent.error}` }),
  })
  return sent.ok ? sent : { ok: false, error: sent.error, again: sent.again }
}

async function send(
  env: Bindings,
  config: Config,
  background: Background,
  spec: ScheduleSpec,
  claim: Claim,
  trace: Trace,
): Promise<Sent> {
  // `again`: worth sending next tick (the queue refused for now); otherwise the slot is given up.
  if (!env.ASYNC_QUEUE || !env.CALL_LEDGER)
    return { ok: false, status: 503, error: 'asynchronous invocations are not available here', again: false }
  let callbackUrl: string | undefined
  if (spec.callbackUrl) {
    const checked = checkCallbackUrl(spec.callbackUrl, config.async.callbackHosts)
    if ('problem' in checked)
      return {
        ok: false,
        status: 400,
        error: `com.edgefaas.schedule.callback-url: ${checked.problem}`,
        again: false,
      }
    callbackUrl = checked.url
  }
  const slot = new Date(claim.slot).toISOString()
  const startTime = `${Date.now()}000000`
  const headers = new Headers({
    'x-connector': 'cron-connector',
    'x-topic': 'cron-function',
    'x-schedule-slot': slot,
    'x-call-id': claim.callId,
    'x-start-time': startTime,
  })
  propagate(headers, trace)
  const request = new Request(`https://${functionKey(spec.fn)}.schedule.edgefaas/`, { method: 'POST' })
  const target = { name: spec.fn.name, namespace: spec.fn.namespace, rest: '', search: '' }
  const call = { headers, callId: claim.callId, startTime, trace }
  const queued = await enqueue(
    env,
    config,
    background,
    request,
    target,
    spec.fn,
    call,
    callbackUrl,
    claim.nonce,
  )
  return 'status' in queued
    ? { ok: false, status: queued.status, error: queued.message, again: queued.status === 503 }
    : { ok: true }
}
