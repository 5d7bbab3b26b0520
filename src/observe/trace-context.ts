/**
 * One hop of a W3C trace (https://www.w3.org/TR/trace-context/): the trace it
 * belongs to, the span id of this hop (the parent of whatever it calls next),
 * the trace flags, and the vendors' `tracestate`, kept only when it came with
 * a valid `traceparent`.
 */
export type Trace = { traceId: string; spanId: string; flags: string; state?: string }

// Version 00 exactly: lower-case hex only, as the specification requires of a parser.
const V00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/
// A later version keeps the first four fields' layout and may add fields after a "-"; 00 may not.
const LATER = /^(?!00|ff)[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/
const ZERO_TRACE = '00000000000000000000000000000000'
const ZERO_SPAN = '0000000000000000'
// The flags this gateway knows (sampled, and Level 2's random trace id); others are not passed on.
const KNOWN_FLAGS = 0x03
// Longer lists may be cut by any hop (the specification's 512-character floor); printable ASCII only.
const STATE = /^[\x20-\x7e]{1,512}$/

// Ids need to be unique, not secret, and are made on the invocation path, where six random words cost a call
// more than the headers that carry them. A span id is this isolate's random prefix and a counter: unique
// within a trace, which is all a parent id must be. A new trace id is a random UUID's 32 hex digits; its
// last 14 are random, as Level 2's random-trace-id flag promises (and LOG_SAMPLE relies on).
const hex8 = (word: number) => (word >>> 0).toString(16).padStart(8, '0')
// Drawn on first use: Workers refuse random values in the global scope.
let spanPrefix = ''
let spans = 0
function nextSpanId(): string {
  if (spanPrefix === '') spanPrefix = hex8(crypto.getRandomValues(new Uint32Array(1))[0] as number)
  spans = (spans + 1) >>> 0 || 1
  return spanPrefix + hex8(spans)
}
function newTraceId(): string {
  const uuid = crypto.randomUUID()
  return uuid.slice(0, 8) + uuid.slice(9, 13) + uuid.slice(14, 18) + uuid.slice(19, 23) + uuid.slice(24)
}

/**
 * The gateway's hop of the trace a call arrived with, or of a new trace when
 * its `traceparent` is missing or not valid (any version's layout broken,
 * version ff, upper-case hex, all-zero ids). Never throws: a bad header only
 * means a fresh trace.
 */
export function continueTrace(traceparent: string | null, tracestate: string | null): Trace {
  const spanId = nextSpanId()
  const parent = traceparent === null ? null : (V00.exec(traceparent) ?? LATER.exec(traceparent))
  if (parent && parent[1] !== ZERO_TRACE && parent[2] !== ZERO_SPAN) {
    const flags = (Number.parseInt(parent[3] as string, 16) & KNOWN_FLAGS).toString(16).padStart(2, '0')
    const trace: Trace = { traceId: parent[1] as string, spanId, flags }
    if (tracestate !== null && STATE.test(tracestate)) trace.state = tracestate
    return trace
  }
  // Sampled, with a random trace id (Level 2's flag): whoever records spans downstream may keep them.
  return { traceId: newTraceId(), spanId, flags: '03' }
}

/** The `traceparent` this hop sends on: its own span is the parent of the next. */
export const traceparent = (trace: Trace): string => `00-${trace.traceId}-${trace.spanId}-${trace.flags}`

/** Sets the trace headers the next hop reads, replacing whatever the caller sent. */
export function propagate(headers: Headers, trace: Trace): void {
  headers.set('traceparent', traceparent(trace))
  if (trace.state !== undefined) headers.set('tracestate', trace.state)
  else headers.delete('tracestate')
}

/** The next hop of a trace that travelled in `headers` (a queued call's, say): same trace, a new span. */
export const nextHop = (headers: Headers): Trace =>
  continueTrace(headers.get('traceparent'), headers.get('tracestate'))
