/**
 * The `Server-Timing` value of an invocation: the gateway's own time, the
 * provider's (request sent to response head), and the wait for a wake from
 * zero when there was one; together they are the call's time in the gateway.
 * Devtools show each as a bar of the request's timing. Added to, never
 * replacing, a function's own entries.
 */
export function serverTiming(totalMs: number, upstreamMs: number, wakeMs: number): string {
  const own = Math.max(0, totalMs - upstreamMs - wakeMs)
  const timing = `gateway;dur=${own}, upstream;dur=${upstreamMs}`
  return wakeMs > 0 ? `${timing}, wake;dur=${wakeMs}` : timing
}
