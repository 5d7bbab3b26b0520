import { BUCKETS, type Counts } from './batch'

/** The asynchronous calls' counters, one Prometheus family each; the call ledger (src/queue/ledger/) keeps them. */
export type AsyncCounters = {
  enqueued: number
  completed: number
  retried: number
  deadLettered: number
  callbackFailures: number
}

/** What the exposition shows of a function's replicas, as the replica sync (src/scale/sync.ts) last saw them. */
export type ReplicaGauges = { replicas: number; available: number }

export type MetricsView = {
  counts: Counts
  inflight: Record<string, number>
  replicas: Record<string, ReplicaGauges>
  async: Record<string, AsyncCounters>
}

const ASYNC_FAMILIES: [keyof AsyncCounters, string, string][] = [
  ['enqueued', 'gateway_async_enqueued_total', 'Asynchronous calls accepted onto the queue.'],
  [
    'completed',
    'gateway_async_completed_total',
    'Asynchronous calls that reached a final answer, whatever its status.',
  ],
  ['retried', 'gateway_async_retried_total', 'Asynchronous runs scheduled again after a retryable failure.'],
  ['deadLettered', 'gateway_async_dead_lettered_total', 'Asynchronous calls moved to the dead-letter queue.'],
  ['callbackFailures', 'gateway_async_callback_failures_total', 'Callback deliveries that failed.'],
]

// Label values are validated names, but escaping costs nothing and keeps the format sound whatever comes.
const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
const labels = (pairs: Record<string, string>) =>
  `{${Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',')}}`
const number = (n: number) => (Number.isInteger(n) ? String(n) : String(Number(n.toFixed(9))))

function family(lines: string[], name: string, type: string, help: string, samples: string[]): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples)
}

/** The Prometheus text exposition (format 0.0.4) of everything the gateway counts. */
export function exposition(view: MetricsView): string {
  const lines: string[] = []
  const fns = Object.keys(view.counts).sort()
  const perCode = (f: (fn: string, code: string) => string[]) =>
    fns.flatMap((fn) =>
      Object.keys(view.counts[fn]?.codes ?? {})
        .sort()
        .flatMap((code) => f(fn, code)),
    )

  family(
    lines,
    'gateway_function_invocation_total',
    'counter',
    'Function invocations, by HTTP status code.',
    perCode((fn, code) => [
      `gateway_function_invocation_total${labels({ function_name: fn, code })} ${view.counts[fn]?.codes[code]?.count ?? 0}`,
    ]),
  )
  family(
    lines,
    'gateway_functions_seconds',
    'histogram',
    'Function invocation time in seconds, including any wait for a scale from zero.',
    perCode((fn, code) => {
      const c = view.counts[fn]?.codes[code]
      if (!c) return []
      let cumulative = 0
      const buckets = [...BUCKETS.map(String), '+Inf'].map((le, i) => {
        cumulative += c.buckets[i] ?? 0
        return `gateway_functions_seconds_bucket${labels({ function_name: fn, code, le })} ${cumulative}`
      })
      return [
        ...buckets,
        `gateway_functions_seconds_sum${labels({ function_name: fn, code })} ${number(c.sumSeconds)}`,
        `gateway_functions_seconds_count${labels({ function_name: fn, code })} ${c.count}`,
      ]
    }),
  )
  const perFunction = (
    name: string,
    type: string,
    help: string,
    value: (fn: string) => number | undefined,
  ) => {
    family(
      lines,
      name,
      type,
      help,
      fns.flatMap((fn) => {
        const v = value(fn)
        return v === undefined ? [] : [`${name}${labels({ function_name: fn })} ${number(v)}`]
      }),
    )
  }
  perFunction(
    'gateway_function_invocation_started',
    'counter',
    'Function invocations started.',
    (fn) => view.counts[fn]?.started,
  )
  perFunction(
    'gateway_function_invocation_inflight',
    'gauge',
    'Function invocations in flight across isolates, as last reported (within 10 s).',
    (fn) => view.inflight[fn] ?? 0,
  )
  perFunction(
    'gateway_scale_from_zero_cold_starts_total',
    'counter',
    'Wakes from zero replicas, one per scale-up.',
    (fn) => view.counts[fn]?.coldStarts,
  )
  perFunction(
    'gateway_scale_from_zero_waits_total',
    'counter',
    'Invocations that waited for their function to wake from zero.',
    (fn) => view.counts[fn]?.waits,
  )
  perFunction(
    'gateway_scale_from_zero_wait_seconds_total',
    'counter',
    'Time invocations spent waiting for their function to wake from zero.',
    (fn) => view.counts[fn]?.waitSeconds,
  )

  const replicated = Object.keys(view.replicas).sort()
  family(
    lines,
    'gateway_service_count',
    'gauge',
    'Desired replicas of each function, as the provider last reported.',
    replicated.map(
      (fn) => `gateway_service_count${labels({ function_name: fn })} ${view.replicas[fn]?.replicas ?? 0}`,
    ),
  )
  family(
    lines,
    'gateway_service_available_replicas',
    'gauge',
    'Available replicas of each function, as the provider last reported.',
    replicated.map(
      (fn) =>
        `gateway_service_available_replicas${labels({ function_name: fn })} ${view.replicas[fn]?.available ?? 0}`,
    ),
  )
  const asyncFns = Object.keys(view.async).sort()
  for (const [field, name, help] of ASYNC_FAMILIES) {
    family(
      lines,
      name,
      'counter',
      help,
      asyncFns.map((fn) => `${name}${labels({ function_name: fn })} ${view.async[fn]?.[field] ?? 0}`),
    )
  }
  return `${lines.join('\n')}\n`
}
