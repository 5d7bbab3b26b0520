/** The scaling labels of a function, with OpenFaaS's meanings and edgefaas's defaults. */
export type ScaleLabels = {
  /** Replicas to keep, and to wake to: `com.openfaas.scale.min`, default 1. */
  min: number
  /** Never more than this: `com.openfaas.scale.max`, default 20 (CE caps at 5). */
  max: number
  /** Alert scaling step, percent of max: `com.openfaas.scale.factor`, default 20; 0 disables it. */
  factor: number
}

export const DEFAULT_SCALE: ScaleLabels = { min: 1, max: 20, factor: 20 }

const PREFIX = 'com.openfaas.scale.'

function whole(
  labels: Record<string, string>,
  key: keyof ScaleLabels,
  problems: string[],
): number | undefined {
  const raw = labels[PREFIX + key]
  if (raw === undefined) return undefined
  if (!/^\d+$/.test(raw.trim())) {
    problems.push(`${PREFIX}${key}="${raw}" is not a whole number >= 0`)
    return undefined
  }
  return Number(raw.trim())
}

/**
 * Reads the labels; a bad one (not a whole number, factor over 100, min over
 * max) is reported through `warn` and its default used, never an exception:
 * a typo in a label must not stop a function from scaling.
 */
export function scaleLabels(
  labels: Record<string, string> | undefined,
  warn: (problem: string) => void,
): ScaleLabels {
  if (!labels) return DEFAULT_SCALE
  const problems: string[] = []
  let min = whole(labels, 'min', problems) ?? DEFAULT_SCALE.min
  let max = whole(labels, 'max', problems) ?? DEFAULT_SCALE.max
  let factor = whole(labels, 'factor', problems) ?? DEFAULT_SCALE.factor
  if (factor > 100) {
    problems.push(`${PREFIX}factor=${factor} is over 100`)
    factor = DEFAULT_SCALE.factor
  }
  if (max === 0) {
    problems.push(`${PREFIX}max=0 would forbid every replica`)
    max = DEFAULT_SCALE.max
  }
  if (min > max) {
    problems.push(`${PREFIX}min=${min} is over ${PREFIX}max=${max}`)
    min = Math.min(DEFAULT_SCALE.min, max)
  }
  for (const problem of problems) warn(`${problem}; using ${JSON.stringify({ min, max, factor })}`)
  return { min, max, factor }
}
