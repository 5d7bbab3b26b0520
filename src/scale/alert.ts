import type { Bindings } from '../env'
import type { ScaleLabels } from './labels'
import { replicaSync } from './objects'

export type AlertStatus = 'firing' | 'resolved'

/**
 * The replicas an AlertManager alert asks for, or undefined when alert
 * scaling is off for the function (factor 0, or min equal to max).
 * Firing: up by ceil(max × factor / 100), never past max. Resolved: back to min.
 */
export function alertReplicas(current: number, labels: ScaleLabels, status: AlertStatus): number | undefined {
  if (labels.factor === 0 || labels.min === labels.max) return undefined
  if (status === 'resolved') return labels.min
  const step = Math.ceil((labels.max * labels.factor) / 100)
  return Math.min(Math.max(current, labels.min) + step, labels.max)
}

/**
 * Where alert scaling and the autoscaler meet: while an alert fires, the
 * replicas it set are a floor the autoscaler never goes below (it still
 * scales up past it when the load asks) and the idler leaves the function
 * alone. Resolved, the floor goes and the function is the autoscaler's again.
 * Told before the scale call, so a tick in between cannot undo it.
 */
export async function holdAtFloor(
  env: Bindings,
  key: string,
  status: AlertStatus,
  replicas: number,
): Promise<void> {
  try {
    await replicaSync(env).alerted(key, status === 'firing' ? replicas : undefined)
  } catch (error) {
    // The alert still scales; only the autoscaler may not know to hold it there.
    console.warn(`alert scaling: ${key}: cannot tell the autoscaler about the alert:`, String(error))
  }
}
