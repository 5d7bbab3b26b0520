import type { ScaleLabels } from './labels'

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
