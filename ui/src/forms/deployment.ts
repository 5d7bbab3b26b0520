import type * as z from 'zod/mini'
import { issueText } from '../../../src/schemas/issues'
import { FunctionDeployment } from '../../../src/schemas/openfaas'
import type { Pair } from '../components/key-value-editor'

/** What the deploy form holds: text as typed, turned into a FunctionDeployment on submit. */
export type DeployDraft = {
  service: string
  image: string
  envProcess: string
  namespace: string
  envVars: Pair[]
  labels: Pair[]
  annotations: Pair[]
  secrets: string[]
  scaleMin: string
  scaleMax: string
  scaleZero: boolean
}

/** What is sent: the schema's input side, before the gateway's own normalisation. */
export type Deployment = z.input<typeof FunctionDeployment>

export type DeployField = keyof DeployDraft
export type FieldErrors = Partial<Record<DeployField, string>>

export const SCALE_LABELS = {
  min: 'com.openfaas.scale.min',
  max: 'com.openfaas.scale.max',
  zero: 'com.openfaas.scale.zero',
} as const

export function emptyDraft(namespace: string): DeployDraft {
  return {
    service: '',
    image: '',
    envProcess: '',
    namespace,
    envVars: [],
    labels: [],
    annotations: [],
    secrets: [],
    scaleMin: '',
    scaleMax: '',
    scaleZero: false,
  }
}

/**
 * The draft as the FunctionDeployment the API takes, checked by the very
 * schema the gateway checks it with, so the browser refuses exactly what the
 * API would and in the same words. Only what a form adds is checked here
 * besides: a name given twice in a list, and the scaling helpers' numbers.
 */
export function buildDeployment(draft: DeployDraft): { deployment: Deployment } | { errors: FieldErrors } {
  const errors: FieldErrors = {}
  const envVars = toMap(draft.envVars, 'envVars', errors)
  const labels = toMap(draft.labels, 'labels', errors)
  const annotations = toMap(draft.annotations, 'annotations', errors)
  addScaleLabels(draft, labels, errors)

  const body = {
    service: draft.service,
    image: draft.image,
    ...(draft.namespace ? { namespace: draft.namespace } : {}),
    ...(draft.envProcess ? { envProcess: draft.envProcess } : {}),
    ...(Object.keys(envVars).length ? { envVars } : {}),
    ...(Object.keys(labels).length ? { labels } : {}),
    ...(Object.keys(annotations).length ? { annotations } : {}),
    ...(draft.secrets.length ? { secrets: draft.secrets } : {}),
  }
  const parsed = FunctionDeployment.safeParse(body, { reportInput: true })
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as DeployField
      errors[field] ??= issueText(issue)
    }
  }
  if (Object.keys(errors).length) return { errors }
  // The body, not the parse result: the API gets what the user typed, not zod's normalised copy.
  return { deployment: body }
}

function toMap(pairs: Pair[], field: DeployField, errors: FieldErrors): Record<string, string> {
  const map: Record<string, string> = {}
  for (const [key, value] of pairs) {
    if (key === '' && value === '') continue
    if (Object.hasOwn(map, key)) errors[field] ??= `${field} has "${key}" twice`
    map[key] = value
  }
  return map
}

function addScaleLabels(draft: DeployDraft, labels: Record<string, string>, errors: FieldErrors) {
  const helpers: [DeployField, string, string][] = [
    ['scaleMin', SCALE_LABELS.min, draft.scaleMin.trim()],
    ['scaleMax', SCALE_LABELS.max, draft.scaleMax.trim()],
    ['scaleZero', SCALE_LABELS.zero, draft.scaleZero ? 'true' : ''],
  ]
  for (const [field, label, value] of helpers) {
    if (value === '') continue
    if (field !== 'scaleZero' && !/^\d+$/.test(value)) errors[field] = `${label} must be a whole number`
    if (Object.hasOwn(labels, label))
      errors.labels ??= `${label} is set by the scaling fields; remove it here`
    labels[label] = value
  }
}
