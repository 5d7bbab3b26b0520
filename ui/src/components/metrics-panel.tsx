import { useRef } from 'preact/hooks'
import { ApiError, errorMessage } from '../api/http'
import { type MetricsSample, rates, readMetrics, readScaling } from '../api/metrics'
import { usePoll } from '../hooks/use-poll'
import type { PanelProps } from './panel'
import { Sparkline } from './sparkline'

// Five minutes of samples at one every two seconds.
const KEEP = 150
const EVERY_MS = 2000

/**
 * Request rate, latency and replicas over the last minutes, live: read from
 * the gateway's own /metrics every two seconds, kept in the page, with what
 * the autoscaler makes of it (/system/scaling).
 */
export function MetricsPanel({ fn }: PanelProps) {
  const functionName = `${fn.name}.${fn.namespace ?? 'openfaas-fn'}`
  const history = useRef<{ name: string; samples: MetricsSample[] }>({ name: functionName, samples: [] })
  if (history.current.name !== functionName) history.current = { name: functionName, samples: [] }
  const poll = usePoll(
    async (signal) => {
      const [sample, scaling] = await Promise.all([
        readMetrics(functionName, signal),
        // The autoscaler's view is extra: a gateway without it (or an error) leaves the charts as they are.
        readScaling(fn.name, fn.namespace ?? 'openfaas-fn', signal).catch(() => undefined),
      ])
      const samples = [...history.current.samples, sample].slice(-KEEP)
      history.current = { name: functionName, samples }
      return { samples, scaling }
    },
    functionName,
    { intervalMs: EVERY_MS },
  )
  const samples = poll.value?.samples ?? []
  const scaling = poll.value?.scaling
  const intervals = rates(samples)
  return (
    <div class="metrics">
      {poll.error !== undefined && (
        <p class="error" role="status">
          {poll.error instanceof ApiError && poll.error.status === 401
            ? 'This gateway asks for a bearer token on /metrics (METRICS_TOKEN), which the portal does not have.'
            : errorMessage(poll.error)}
        </p>
      )}
      {scaling && (
        <p class="autoscaler" data-autoscaler>
          Autoscaler ({scaling.type}): load{' '}
          {scaling.load === null ? 'not measured yet' : scaling.load.toFixed(1)}, target {scaling.target} per
          replica, desired {scaling.desired}. <span class="muted">{scaling.status.reason}</span>
        </p>
      )}
      <Sparkline label="Requests" unit="req/s" points={intervals.map((p) => ({ at: p.at, value: p.rps }))} />
      <Sparkline
        label="Mean latency"
        unit="ms"
        points={intervals.flatMap((p) =>
          p.latencyMs === undefined ? [] : [{ at: p.at, value: p.latencyMs }],
        )}
      />
      <Sparkline
        label="Replicas (desired)"
        unit=""
        digits={0}
        points={samples.map((s) => ({ at: s.at, value: s.replicas ?? fn.replicas ?? 0 }))}
      />
    </div>
  )
}
