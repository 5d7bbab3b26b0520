import type { ProviderFault } from '../forward/provider-api'
import type { FunctionRef } from '../function-ref'
import type { Drain } from './drain'

// What a function's FunctionState answers the isolates, and what it keeps: the
// types of the protocol in src/scale/function-gate.ts.

/** What an isolate learns when it asks whether it may forward an invocation. */
export type Readiness =
  /**
   * `coldStart` is set for the one caller whose call started the wake;
   * `draining` when the function is on its way to zero: this call may go to
   * the replica still up, but the answer is not to be cached.
   */
  | { kind: 'ready'; waitedMs: number; coldStart?: boolean; draining?: true }
  | { kind: 'missing' }
  | { kind: 'timeout'; waitedMs: number }
  | ({ kind: 'fault' } & ProviderFault)

/** What an isolate learns when it asks only whether a function exists: nothing is woken. */
export type Lookup =
  | { kind: 'found'; available: number; labels: Record<string, string>; draining?: true }
  | { kind: 'missing' }
  | ({ kind: 'fault' } & ProviderFault)

/** A change made through the gateway's API, applied at once rather than discovered later. */
export type Change = { kind: 'deployed' } | { kind: 'deleted' } | { kind: 'scaled'; replicas: number }

/** What the function's object says of a call the provider answered 503 "no replica". */
export type Missed = Readiness | { kind: 'serving' }

/** The function as the provider last reported it. */
export type Seen =
  | { kind: 'found'; replicas: number; available: number; labels: Record<string, string> }
  | { kind: 'missing' }

/** What a function's object keeps in storage, so that a restart resumes a wake or a drain. */
export type Stored = {
  seen: Seen
  at: number
  wakeStartedAt?: number
  drain?: Drain & { fn: FunctionRef }
  /** When this object last knew the function had no replica: it scaled it to 0, or began to wake it. */
  coldAt?: number
}
