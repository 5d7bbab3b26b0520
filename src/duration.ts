const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // micro sign
  μs: 1e-3, // Greek mu: Go accepts both
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}
const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)`
const UNIT = 'ns|us|µs|μs|ms|s|m|h'
const GO_DURATION = new RegExp(`^(?:${NUMBER}(?:${UNIT}))+$`)
const PART = new RegExp(`(${NUMBER})(${UNIT})`, 'g')

/**
 * Milliseconds from a Go duration (`1m30s`, `500ms`, `.5s`) or a bare number
 * of seconds (`60`), the two forms OpenFaaS settings use; undefined if neither.
 * Shared by the gateway's config and the dev provider's exec_timeout.
 */
export function parseDuration(raw: string): number | undefined {
  const text = raw.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000
  if (!GO_DURATION.test(text)) return undefined
  let ms = 0
  for (const [, amount, unit] of text.matchAll(PART))
    ms += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN)
  return Number.isFinite(ms) ? ms : undefined
}
