import { request } from './http'

/** One function's numbers from one scrape of /metrics, at the moment it was read. */
export type MetricsSample = {
  at: number
  /** Invocations so far, every status code. */
  invocations: number
  /** Time spent in invocations so far, and how many were timed: their ratio over an interval is the mean latency. */
  seconds: number
  timed: number
  /** Desired and available replicas, as the gateway's last replica sync saw them. */
  replicas?: number
  available?: number
}

const SAMPLE = /^([a-z_]+)\{([^}]*)\} (\S+)$/

/**
 * Reads the gateway's Prometheus exposition and keeps what concerns one
 * function (`name.namespace`, as the `function_name` label has it).
 */
export function sampleOf(exposition: string, functionName: string, at: number): MetricsSample {
  const sample: MetricsSample = { at, invocations: 0, seconds: 0, timed: 0 }
  const label = `function_name="${functionName}"`
  for (const line of exposition.split('\n')) {
    if (!line.includes(label)) continue
    const match = SAMPLE.exec(line)
    if (!match) continue
    const value = Number(match[3])
    switch (match[1]) {
      case 'gateway_function_invocation_total':
        sample.invocations += value
        break
      case 'gateway_functions_seconds_sum':
        sample.seconds += value
        break
      case 'gateway_functions_seconds_count':
        sample.timed += value
        break
      case 'gateway_service_count':
        sample.replicas = value
        break
      case 'gateway_service_available_replicas':
        sample.available = value
        break
    }
  }
  return sample
}

export async function readMetrics(functionName: string, signal?: AbortSignal): Promise<MetricsSample> {
  const response = await request('/metrics', signal ? { signal } : {})
  return sampleOf(await response.text(), functionName, Date.now())
}

/** Points per interval between consecutive samples: request rate and mean latency. */
export function rates(samples: MetricsSample[]): { at: number; rps: number; latencyMs?: number }[] {
  const points: { at: number; rps: number; latencyMs?: number }[] = []
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1] as MetricsSample
    const b = samples[i] as MetricsSample
    const seconds = (b.at - a.at) / 1000
    if (seconds <= 0) continue
    // A counter that went down was reset (a new deployment): start again from this sample.
    const calls = b.invocations - a.invocations
    const timed = b.timed - a.timed
    points.push({
      at: b.at,
      rps: calls >= 0 ? calls / seconds : 0,
      ...(timed > 0 ? { latencyMs: ((b.seconds - a.seconds) / timed) * 1000 } : {}),
    })
  }
  return points
}

/** What the autoscaler says of one function (GET /system/scaling), the fields the portal shows. */
export type ScalingView = {
  type: string
  load: number | null
  target: number
  desired: number
  status: { action: string; reason: string; at: string }
}

/** The autoscaler's view of one function, or undefined when it has not evaluated it (yet). */
export async function readScaling(
  name: string,
  namespace: string,
  signal?: AbortSignal,
): Promise<ScalingView | undefined> {
  const response = await request('/system/scaling', signal ? { signal } : {})
  const report = (await response.json()) as {
    functions?: (ScalingView & { name: string; namespace: string })[]
  }
  return report.functions?.find((f) => f.name === name && f.namespace === namespace)
}
