// One bounded load run with autocannon. Latencies are taken from each
// response rather than autocannon's histogram, which rounds to whole
// milliseconds, too coarse for calls that take one or two.
import autocannon from 'autocannon'

// Enough for ~40k req/s over 10 s; beyond that later samples are dropped, not the run.
const MAX_SAMPLES = 400_000

/** The median of what was measured; values that are not finite numbers (a case that failed) are left out. */
export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export function load({ url, body, connections, seconds, headers = {} }) {
  const latencies = new Float64Array(MAX_SAMPLES)
  let ok = 0
  let failed = 0
  let errors = 0
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const instance = autocannon(
      {
        url,
        method: 'POST',
        body,
        connections,
        duration: seconds,
        // autocannon sets Content-Length only for a non-empty body; curl and browsers send 0.
        headers: body.length === 0 ? { ...headers, 'content-length': '0' } : headers,
      },
      (error) => {
        if (error) return reject(error)
        const wallS = (performance.now() - started) / 1000
        const sorted = latencies.subarray(0, Math.min(ok, MAX_SAMPLES)).sort()
        const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
        // `latencies`: every sampled latency in ms, sorted, for callers that merge runs.
        resolve({
          requests: ok,
          failed,
          errors,
          wallS,
          rps: ok / wallS,
          p50: at(0.5),
          p99: at(0.99),
          latencies: sorted,
        })
      },
    )
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) {
        if (ok < MAX_SAMPLES) latencies[ok] = ms
        ok++
      } else failed++
    })
    instance.on('reqError', () => {
      errors++
    })
  })
}
