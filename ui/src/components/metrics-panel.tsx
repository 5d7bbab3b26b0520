import { useRef } from 'preact/hooks'
import { ApiError, errorMessage } from '../api/http'
import { type MetricsSample, rates, readMetrics } from '../api/metrics'
import { usePoll } from '../hooks/use-poll'
import type { PanelProps } from './panel'
import { Sparkline } from './sparkline'

// Five minutes of samples at one every two seconds.
const KEEP = 150
const EVERY_MS = 2000

/**
 * Request rate, latency and replicas over the last minutes, live: read from
 * the gateway's own /metrics every two seconds, kept in the page.
 */
export function MetricsPanel({ fn }: PanelProps) {
  const functionName = `${fn.name}.${fn.namespace ?? 'openfaas-fn'}`
  const history = useRef<{ name: string; samples: MetricsSample[] }>({ name: functionName, samples: [] })
  if (history.current.name !== functionName) history.current = { name: functionName, samples: [] }
  const poll = usePoll(
    async (signal) => {
      const sample = await readMetrics(functionName, signal)
      const samples = [...history.current.samples, sample].slice(-KEEP)
      history.current = { name: functionName, samples }
      return samples
    },
    functionName,
    { intervalMs: EVERY_MS },
  )
  const samples = poll.value ?? []
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
