import type { Counts } from '../metrics/batch'
import { invocationCount } from '../metrics/read'

/** A function's cumulative invocation counts, as every isolate has flushed them, at one tick. */
export type Sample = { at: number; started: number; finished: number }

/**
 * Isolates flush their counts about once a second, so a rate over a few
 * seconds sees one flush more or less than happened: 1 s over 5 s is 20 %,
 * which the target's 10 % headroom mostly absorbs. Rates are taken over the
 * last tick window, and over at least this long when ticks are more frequent.
 */
export const RATE_SPAN_MS = 5_000

/** Until the samples span this long (after the loop restarts), the load is not measured. */
export const FIRST_RATE_MS = 2_000

export function sampleOf(counts: Counts, fn: string, at: number): Sample {
  return { at, started: counts[fn]?.started ?? 0, finished: invocationCount(counts, fn) }
}

/**
 * Adds `sample` and returns the samples worth keeping with the rate of
 * started invocations per second over the last max(interval, RATE_SPAN_MS).
 * Samples older than that window plus two intervals come from before a pause
 * in the loop (no traffic, cron only) and say nothing about the load now.
 */
export function measureRate(
  samples: Sample[],
  sample: Sample,
  intervalMs: number,
): { samples: Sample[]; rps: number | undefined } {
  const span = Math.max(intervalMs, RATE_SPAN_MS)
  const recent = samples.filter((s) => s.at >= sample.at - span - 2 * intervalMs && s.at < sample.at)
  // The newest sample at least a span old; else, while the samples are younger than that, the oldest.
  const baseIndex = recent.findLastIndex((s) => s.at <= sample.at - span)
  const kept = [...recent.slice(Math.max(0, baseIndex)), sample]
  const base = kept[0] as Sample
  const elapsed = sample.at - base.at
  if (base === sample || elapsed < Math.min(FIRST_RATE_MS, span)) return { samples: kept, rps: undefined }
  // Counts only grow; a shard that lost its totals would make the difference negative, read as no load.
  return { samples: kept, rps: (Math.max(0, sample.started - base.started) * 1000) / elapsed }
}

/**
 * Invocations in flight, for the idler: the gauge isolates report, or else
 * started minus finished. The gauge forgets an isolate that has not flushed
 * for 10 s, so a call that takes longer vanishes from it; the difference
 * keeps it, and is trusted for as long as a call can be in flight without
 * its end being counted (UPSTREAM_TIMEOUT, plus flush lag) since the counts
 * last moved: past that, it is a count an evicted isolate never flushed.
 */
export function inFlight(
  gauge: number,
  sample: Sample,
  countsChangedAt: number,
  upstreamTimeoutMs: number,
): number {
  const open = sample.started - sample.finished
  const recent = sample.at - countsChangedAt < upstreamTimeoutMs + INFLIGHT_GRACE_MS
  return Math.max(gauge, recent ? open : 0)
}

/** How late an invocation's end may reach the shards after it happened: flush slot, retries. */
const INFLIGHT_GRACE_MS = 10_000
