import type { Config } from '../config'
import type { Bindings } from '../env'
import { functionKey, writtenName } from '../function-ref'
import { logLine } from '../observe/call-log'
import { nextHop } from '../observe/trace-context'
import type { Background } from '../scale/from-zero'
import { resultBodyKey } from './body'
import { deliver } from './callback'
import type { CallKey, Outcome } from './ledger/calls'
import type { CallResult } from './ledger/rows'
import { ledgerFor } from './ledger/shards'
import { type AsyncMessage, type DeadLetterMessage, loggedCall, SEND_OPTIONS } from './message'
import { backoffSeconds, isRetryable, maxAttempts } from './retry'
import { type Answer, runOnce } from './run'

// How long a delivery holds a call it is running before another delivery may take it over. The
// delivery renews it every LEASE_RENEW_MS while the function runs, so a run may last as long as it
// needs, while a consumer that dies mid-call (an evicted isolate, a redeployed Worker) holds the
// call for at most a minute: the next delivery then runs it again.
const LEASE_MS = 60_000
const LEASE_RENEW_MS = 20_000

// Results up to this size are kept in the ledger's row; larger ones in R2 until delivered.
const INLINE_RESULT_BYTES = 64 * 1024

type Call = {
  env: Bindings
  config: Config
  background: Background
  msg: Message<unknown>
  message: AsyncMessage
}

/** One delivery of one call: run it unless it already ran, then settle its callback; ack or retry it. */
export async function handleCall(call: Call): Promise<void> {
  const { env, config, msg, message } = call
  const ledger = ledgerFor(env, message.callId)
  const stored = 'stored' in message.body ? message.body.stored : null
  const begin = await ledger.begin(keyOf(message), LEASE_MS, config.async.recordTtlMs, stored)
  switch (begin.kind) {
    case 'done':
      msg.ack()
      return
    case 'busy':
      msg.retry({ delaySeconds: Math.ceil(begin.retryInMs / 1000) })
      return
    case 'settle':
      return settle(call, { ...begin, maxAttempts: await maxAttempts(env, config, message.fn) })
    case 'run':
      try {
        return await run(call, begin.attempt)
      } catch (error) {
        await ledger.release(keyOf(message), begin.attempt, config.async.recordTtlMs).catch(() => {})
        throw error
      }
  }
}

async function run(call: Call, attempt: number): Promise<void> {
  const { env, config, msg, message } = call
  const ledger = ledgerFor(env, message.callId)
  const max = await maxAttempts(env, config, message.fn)
  const answer = await holdingLease(ledger, keyOf(message), attempt, () =>
    runOnce(env, config, call.background, message, attempt),
  ).catch(failedCall)
  const retryable = !answer.final && isRetryable(answer.status)
  if (retryable && attempt < max) {
    await ledger.failed(keyOf(message), attempt, config.async.recordTtlMs)
    msg.retry({ delaySeconds: backoffSeconds(config, attempt, answer.retryAfter) })
    return
  }
  const outcome: Outcome = retryable ? 'exhausted' : 'completed'
  // The function has run: failing to record that now would run it again, so storage hiccups are retried here.
  const result = message.callbackUrl
    ? await persistently(() => keep(env, message, attempt, answer))
    : undefined
  const recorded = await persistently(() =>
    ledger.finished(keyOf(message), attempt, outcome, result, config.async.recordTtlMs, answer.status),
  )
  if (!recorded) {
    // Another delivery took the call over after this one's lease ran out; it settles it, with its own result.
    if (result && 'stored' in result.body) await env.ASYNC_BODIES.delete(result.body.stored).catch(() => {})
    msg.ack()
    return
  }
  await settle(call, {
    outcome,
    attempt,
    status: answer.status,
    callbackAttempts: 0,
    maxAttempts: max,
    ...(result ? { result, body: answer.body } : {}),
  })
}

/** Runs `work` while renewing this delivery's lease on the call, so that no other delivery takes it over. */
async function holdingLease<T>(
  ledger: ReturnType<typeof ledgerFor>,
  key: CallKey,
  attempt: number,
  work: () => Promise<T>,
): Promise<T> {
  const renewal = setInterval(() => {
    ledger.renew(key, attempt, LEASE_MS).then(
      (held) => {
        if (!held) clearInterval(renewal)
      },
      (error: unknown) =>
        console.warn(`async call ${key.callId}: could not renew its lease: ${String(error)}`),
    )
  }, LEASE_RENEW_MS)
  try {
    return await work()
  } finally {
    clearInterval(renewal)
  }
}

type Settling = {
  outcome: Outcome
  attempt: number
  status?: number
  result?: CallResult
  /** The result's body when it is still in memory, saving a read from R2. */
  body?: Uint8Array
  callbackAttempts: number
  maxAttempts: number
}

/**
 * Delivers the callback a final result is owed and, for a call that ran out
 * of attempts, sends it to the dead-letter queue. An undelivered callback of
 * a completed call is retried on its own, never re-running the function.
 */
async function settle(call: Call, s: Settling): Promise<void> {
  const { env, config, msg, message } = call
  const ledger = ledgerFor(env, message.callId)
  const url = message.callbackUrl
  if (url && s.result) {
    const trace = nextHop(new Headers(message.headers))
    const sentAt = Date.now()
    const delivered = await deliver(config, {
      url,
      callId: message.callId,
      functionName: writtenName(message.target),
      status: s.result.status,
      headers: s.result.headers,
      body: s.body ?? (await storedResult(env, s.result)),
      durationMs: s.result.durationMs,
      retry: s.attempt - 1,
      retryMax: s.maxAttempts - 1,
      trace,
    })
    const origin = new URL(url).origin
    logLine(config.log, {
      kind: 'callback',
      ...loggedCall(message),
      method: 'POST',
      status: delivered.status,
      durationMs: Date.now() - sentAt,
      attempt: s.callbackAttempts + 1,
      traceId: trace.traceId,
      // The receiver's origin only: a callback URL's path or query may hold a token.
      callback: origin,
      ...(delivered.ok ? {} : { error: delivered.reason.replace(url, origin) }),
    })
    if (delivered.ok) await ledger.delivered(keyOf(message))
    else {
      console.warn(`async call ${message.callId}: ${delivered.reason}`)
      const failures = await ledger.undelivered(keyOf(message))
      if (s.outcome === 'completed') {
        if (failures < s.maxAttempts) {
          msg.retry({ delaySeconds: backoffSeconds(config, failures, delivered.retryAfter) })
          return
        }
        await deadLetter(env, message, {
          kind: 'callback',
          reason: `the callback was not delivered in ${failures} attempts; the last: ${delivered.reason}`,
          status: s.result.status,
          attempts: s.attempt,
        })
        msg.ack()
        return
      }
    }
  }
  if (s.outcome === 'exhausted') {
    await deadLetter(env, message, {
      kind: 'function',
      reason: `no successful answer in ${s.attempt} attempts; the last was ${s.status ?? 'unknown'}`,
      ...(s.status !== undefined ? { status: s.status } : {}),
      attempts: s.attempt,
    })
  }
  msg.ack()
}

const keyOf = (message: AsyncMessage) => ({
  callId: message.callId,
  nonce: message.nonce,
  fn: functionKey(message.fn),
})

/**
 * The result as the ledger keeps it for the callback: small ones inline,
 * large ones in R2 under a key of this run's own, so a run that lost its
 * lease cannot overwrite the body of the run that records the result.
 */
async function keep(
  env: Bindings,
  message: AsyncMessage,
  attempt: number,
  answer: Answer,
): Promise<CallResult> {
  const { status, headers, durationMs } = answer
  if (answer.body.byteLength <= INLINE_RESULT_BYTES)
    return { status, headers, durationMs, body: { inline: answer.body } }
  const key = resultBodyKey(message.nonce, attempt)
  await env.ASYNC_BODIES.put(key, answer.body)
  return { status, headers, durationMs, body: { stored: key, bytes: answer.body.byteLength } }
}

async function storedResult(env: Bindings, result: CallResult): Promise<Uint8Array> {
  if ('inline' in result.body) return result.body.inline
  const object = await env.ASYNC_BODIES.get(result.body.stored)
  return object ? new Uint8Array(await object.arrayBuffer()) : new Uint8Array(0)
}

function deadLetter(env: Bindings, message: AsyncMessage, reason: DeadLetterMessage['deadLetter']) {
  return env.ASYNC_DEAD_LETTERS.send(
    { message, deadLetter: reason } satisfies DeadLetterMessage,
    SEND_OPTIONS,
  )
}

const PERSIST_DELAYS_MS = [100, 1000]

async function persistently<T>(write: () => Promise<T>): Promise<T> {
  for (const delay of PERSIST_DELAYS_MS) {
    try {
      return await write()
    } catch (error) {
      console.warn(`async: retrying a write that failed: ${error instanceof Error ? error.message : error}`)
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
  return write()
}

/** A run that threw (the connection dropped mid-body, say): retryable, like a provider fault. */
function failedCall(error: unknown): Answer {
  const text = `the call failed: ${error instanceof Error ? error.message : String(error)}\n`
  return {
    status: 502,
    headers: [['content-type', 'text/plain; charset=utf-8']],
    body: new TextEncoder().encode(text),
    durationMs: 0,
    retryAfter: null,
  }
}
