const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}
const GO_DURATION = /^(\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g

/**
 * Milliseconds from a Go-style duration (`1m30s`, `500ms`) or a bare number of
 * seconds (`60`), the two forms OpenFaaS configuration uses; undefined if neither.
 */
export function parseDuration(raw: string): number | undefined {
  const text = raw.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000
  if (!GO_DURATION.test(text)) return undefined
  let ms = 0
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * (UNIT_MS[unit as string] ?? 0)
  return ms
}
