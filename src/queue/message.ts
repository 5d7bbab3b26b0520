import * as z from 'zod/mini'
import { asyncFunctionPath } from '../http/function-path'

/** A request body: in the message itself, or stored out of line in R2 under `stored`. */
export type BodyRef = z.infer<typeof bodyRef>

/**
 * One asynchronous call as it travels through the queue. `nonce` names this
 * enqueue: every redelivery of the message carries the same one, so the
 * ledger can tell a redelivery from a new call that reuses the call id.
 */
export type AsyncMessage = z.infer<typeof AsyncMessage>

const bodyRef = z.union([
  z.object({ inline: z.custom<Uint8Array>((value) => value instanceof Uint8Array) }),
  z.object({ stored: z.string(), bytes: z.number() }),
])

export const AsyncMessage = z.object({
  v: z.literal(1),
  callId: z.string(),
  nonce: z.string(),
  /** The function with its namespace resolved, as the ledger and the counters name it. */
  fn: z.object({ name: z.string(), namespace: z.string() }),
  /** The invocation path as the caller wrote it, checked by the producer: name, optional namespace, rest, query. */
  target: z.object({
    name: z.string(),
    namespace: z.optional(z.string()),
    rest: z.string(),
    search: z.string(),
  }),
  method: z.string(),
  headers: z.array(z.tuple([z.string(), z.string()])),
  body: bodyRef,
  callbackUrl: z.optional(z.string()),
  enqueuedAt: z.number(),
})

/** What every call-log line about a queued call (its runs, its callback) says of the call. */
export const loggedCall = (message: AsyncMessage) => ({
  callId: message.callId,
  function: message.fn.name,
  namespace: message.fn.namespace,
  path: asyncFunctionPath(message.target),
})

/** What the dead-letter queue carries: the call, and why it was given up. */
export type DeadLetterMessage = z.infer<typeof DeadLetterMessage>

export const DeadLetterReason = z.object({
  /** `function`: the function never succeeded; `callback`: it did, but the callback was never delivered. */
  kind: z.enum(['function', 'callback']),
  reason: z.string(),
  /** The last status the function answered, when it answered. */
  status: z.optional(z.number()),
  attempts: z.number(),
})

export const DeadLetterMessage = z.object({ message: AsyncMessage, deadLetter: DeadLetterReason })

/** Messages are sent as structured clones ("v8"), which keep an inline body as bytes; JSON would not. */
export const SEND_OPTIONS: QueueSendOptions = { contentType: 'v8' }

// Cloudflare Queues take messages of up to 128 KB. What is not the body is bounded by the request
// head (headers, path, callback URL), so the body stays inline only while the whole estimate fits.
export const MESSAGE_BUDGET = 120_000
const ENVELOPE_BYTES = 512

/** An upper estimate of a message's serialised size, not counting an inline body. */
export function headSize(message: Omit<AsyncMessage, 'body'>): number {
  let size =
    ENVELOPE_BYTES + message.callId.length + message.target.rest.length + message.target.search.length
  size += (message.callbackUrl?.length ?? 0) + message.fn.name.length + message.fn.namespace.length
  // Header values, paths (percent-encoded) and URLs are all ASCII here: one byte per character.
  for (const [name, value] of message.headers) size += name.length + value.length + 8
  return size
}
