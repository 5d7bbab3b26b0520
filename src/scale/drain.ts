import type { Bindings } from '../env'
import { readCounts } from '../metrics/read'
import { trustedReadyMs } from './replica-cache'

/**
 * Who asked for a function to go to zero. The idler's drain is undone by
 * the first call that asks during it (the function is in use after all);
 * one asked for through the API or by an alert goes ahead, the calls during
 * it served by the replica still up.
 */
export type DrainBy = 'idler' | 'api' | 'alert'

/** A drain to zero in progress, as the function's FunctionState stores it. */
export type Drain = {
  by: DrainBy
  since: number
  /** From then on no call is let through: new calls wait for the scale-down, then wake the function. */
  closeAt: number
  /** For the idler: the invocations it had counted when it decided; a count past it is a call it missed. */
  started?: number
}

/** What a request to scale a function to zero got: drained (later), at zero already, or refused. */
export type DrainAnswer =
  | { kind: 'draining'; closeAt: number }
  | { kind: 'zero' }
  | { kind: 'missing' }
  | { kind: 'fault'; status: 502 | 504; message: string }

/**
 * How late a call's start reaches the metrics shards: an isolate flushes at
 * most once a second (src/metrics/buffer.ts), and a flush is one call to a
 * shard. A call the isolates started before the drain closed is seen by then.
 */
export const FLUSH_LAG_MS = 2_000

const POLL_MS = 250

/**
 * A drain starting now. Until `closeAt` an isolate may still forward on a
 * "ready" it learnt before the drain, so that is when the last direct call
 * can start; calls asking meanwhile are told "draining" and not cached.
 * `toldReadyAt` is when the function's object last told an isolate "ready"
 * (undefined if it cannot know, as after a restart): no trust outlasts that
 * by more than trustedReadyMs, so a function idle that long closes at once.
 */
export function startDrain(
  by: DrainBy,
  replicaCacheTtlMs: number,
  now = Date.now(),
  started?: number,
  toldReadyAt?: number,
): Drain {
  const trusted = trustedReadyMs(replicaCacheTtlMs)
  return {
    by,
    since: now,
    closeAt: Math.min(now, toldReadyAt ?? now) + trusted,
    ...(started === undefined ? {} : { started }),
  }
}

/** Two drains asked for at once: the API's or an alert's is not undone by a call, so it wins over the idler's. */
export function joinDrain(current: Drain, by: DrainBy): Drain {
  return current.by === 'idler' && by !== 'idler' ? { ...current, by } : current
}

export type Quiet =
  | { kind: 'quiet' }
  | { kind: 'unknown'; reason: string }
  | { kind: 'busy' }
  | { kind: 'ended' }

/**
 * Waits until no gateway call to `key` is in flight, as every isolate has
 * reported to the metrics shards. Reports are read as far back as the
 * longest a call can last (`longestCallMs`, the upstream deadline), so a long
 * call is not forgotten because its isolate flushed nothing since it began;
 * one from an isolate that died mid-call is given up on after that long. For
 * the idler's drain, a start past `started` means a call came after all:
 * `busy`, and the drain is undone. `ended` once `draining()` says the drain
 * was overtaken (a scale-up, a delete, a call that undid it).
 */
export async function untilQuiet(
  env: Bindings,
  key: string,
  drain: Drain,
  longestCallMs: number,
  draining: () => boolean,
  sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<Quiet> {
  const lag = drain.closeAt + FLUSH_LAG_MS - Date.now()
  if (lag > 0) await sleep(lag)
  const freshMs = longestCallMs + FLUSH_LAG_MS
  const deadline = Date.now() + freshMs
  for (;;) {
    if (!draining()) return { kind: 'ended' }
    const counted = await readCounts(env, freshMs).catch((error: unknown) => ({ error }))
    if ('error' in counted) {
      // Without the shards nothing says the function is quiet: better late than cutting a call off.
      if (Date.now() > deadline)
        return { kind: 'unknown', reason: `cannot read the metrics shards: ${counted.error}` }
    } else {
      const started = counted.counts[key]?.started ?? 0
      if (drain.by === 'idler' && drain.started !== undefined && started > drain.started)
        return { kind: 'busy' }
      const inFlight = counted.inflight[key] ?? 0
      if (inFlight <= 0) return { kind: 'quiet' }
      if (Date.now() > deadline) {
        console.warn(
          `drain: ${key} still reports ${inFlight} in flight after ${freshMs / 1000}s; scaling it down, ` +
            'since no call through the gateway lasts that long: an isolate ended mid-call',
        )
        return { kind: 'quiet' }
      }
    }
    await sleep(POLL_MS)
  }
}
