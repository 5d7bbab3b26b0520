// Log timestamps are RFC3339 with nanoseconds (as the provider SDK's LogEntry has them). Date only has
// milliseconds, so anchor the monotonic clock to the wall clock once and read nanoseconds from it: lines
// written in the same millisecond still order correctly.
const origin = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint()

export const nowNanos = (): bigint => origin + process.hrtime.bigint()

export function formatNanos(ns: bigint): string {
  const iso = new Date(Number(ns / 1_000_000n)).toISOString()
  return `${iso.slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`
}

// Nanoseconds since the epoch for an RFC3339 timestamp; the fraction beyond milliseconds is kept.
export function parseNanos(timestamp: string): bigint {
  const fraction = /\.(\d+)/.exec(timestamp)?.[1] ?? ''
  const seconds = Date.parse(timestamp.replace(/\.\d+/, ''))
  return BigInt(seconds) * 1_000_000n + BigInt(fraction.padEnd(9, '0').slice(0, 9))
}
