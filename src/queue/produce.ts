import type { Config } from '../config'
import type { Bindings } from '../env'
import { type FunctionRef, functionKey } from '../function-ref'
import type { FunctionTarget } from '../http/function-path'
import type { Call } from '../invoke/invoke'
import type { Background } from '../scale/from-zero'
import { readCapped, requestBodyKey } from './body'
import { ledgerFor } from './ledger/shards'
import { type AsyncMessage, type BodyRef, headSize, MESSAGE_BUDGET, SEND_OPTIONS } from './message'

export type Enqueued = { callId: string } | { status: 413 | 431 | 503; message: string }

type Refused = Extract<Enqueued, { status: number }>

/**
 * Puts one call on the queue: the body inline when the message can hold it,
 * else in R2 first. Resolves only once the queue has durably taken the
 * message, so a 202 is never given for a call that could be lost.
 */
export async function enqueue(
  env: Bindings,
  config: Config,
  background: Background,
  request: Request,
  target: FunctionTarget,
  fn: FunctionRef,
  call: Call,
  callbackUrl: string | undefined,
  // A caller that may send the same call twice (a scheduled run after a failed send) names its own.
  nonce: string = crypto.randomUUID(),
): Promise<Enqueued> {
  const head: Omit<AsyncMessage, 'body'> = {
    v: 1,
    callId: call.callId,
    nonce,
    fn,
    target,
    method: request.method,
    headers: [...call.headers],
    ...(callbackUrl ? { callbackUrl } : {}),
    enqueuedAt: Date.now(),
  }
  const headBytes = headSize(head)
  if (headBytes > MESSAGE_BUDGET)
    return {
      status: 431,
      message: `the request's headers and path (about ${headBytes} bytes) do not fit in a queue message (${MESSAGE_BUDGET} bytes)`,
    }
  const body = await storeBody(env, config, request, nonce, MESSAGE_BUDGET - headBytes)
  if ('status' in body) return body
  try {
    await env.ASYNC_QUEUE.send({ ...head, body } satisfies AsyncMessage, SEND_OPTIONS)
  } catch (error) {
    if ('stored' in body) await env.ASYNC_BODIES.delete(body.stored).catch(() => {})
    const reason = error instanceof Error ? error.message : String(error)
    return { status: 503, message: `could not enqueue the call to ${functionKey(fn)}: ${reason}` }
  }
  background.waitUntil(
    ledgerFor(env, call.callId)
      .enqueued(functionKey(fn))
      .catch((error: unknown) => console.warn('async: could not count an enqueued call:', error)),
  )
  return { callId: call.callId }
}

async function storeBody(
  env: Bindings,
  config: Config,
  request: Request,
  nonce: string,
  inlineBudget: number,
): Promise<BodyRef | Refused> {
  const limit = config.async.maxBodyBytes
  const tooLarge: Refused = {
    status: 413,
    message: `the request body exceeds MAX_ASYNC_BODY (${limit} bytes) for an asynchronous call`,
  }
  const declared = request.headers.get('content-length')
  const length = declared === null ? undefined : Number(declared)
  if (length !== undefined && length > limit) return tooLarge
  // A large body of known length streams straight to R2 without being held in memory.
  if (length !== undefined && length > inlineBudget && request.body) {
    const key = requestBodyKey(nonce)
    await env.ASYNC_BODIES.put(key, request.body)
    return { stored: key, bytes: length }
  }
  const read = await readCapped(request.body, limit)
  if ('tooLarge' in read) return tooLarge
  if (read.bytes.byteLength <= inlineBudget) return { inline: read.bytes }
  const key = requestBodyKey(nonce)
  await env.ASYNC_BODIES.put(key, read.bytes)
  return { stored: key, bytes: read.bytes.byteLength }
}
