import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * Functions for the asynchronous-call tests, defined by each test under its
 * own `async-…` name: labels (the retry policy), how many runs of each call
 * fail and with what, and a count of runs per call id, which is how tests
 * see that a function ran exactly once.
 */
export type AsyncFunction = {
  name: string
  labels: Record<string, string>
  /** The first `fail` runs of each call answer `code` (with `Retry-After` if set); later ones echo. */
  fail: number
  code: number
  retryAfter?: string
  runs: Record<string, number>
}

const functions = new Map<string, AsyncFunction>()

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
    ...headers,
  })
  res.end(text)
}

/** Answers the request if it concerns an async test function or their controls; false otherwise. */
export function handleAsyncFunctions(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  body: { text: string; bytes: number; sha256: string },
): boolean {
  const path = url.pathname
  if (path === '/__control/async-function') {
    if (req.method === 'POST') {
      const spec = JSON.parse(body.text) as Partial<AsyncFunction> & { name: string }
      const fn: AsyncFunction = { labels: {}, fail: 0, code: 503, ...spec, runs: {} }
      functions.set(fn.name, fn)
      send(res, 201, fn)
    } else {
      const fn = functions.get(url.searchParams.get('name') ?? '')
      send(res, fn ? 200 : 404, fn ?? 'not defined')
    }
    return true
  }

  const status = /^\/system\/function\/(async-[^/]+)$/.exec(path)
  if (status) {
    const fn = functions.get(status[1] ?? '')
    if (status[1] === 'async-broken-provider') send(res, 500, 'the provider is broken')
    else if (!fn) send(res, 404, `function ${status[1]} not found`)
    else
      send(res, 200, {
        name: fn.name,
        namespace: url.searchParams.get('namespace') ?? 'openfaas-fn',
        image: 'functions/async-test:latest',
        replicas: 1,
        availableReplicas: 1,
        labels: fn.labels,
      })
    return true
  }

  const invoke = /^\/function\/(async-[^/.?]+)/.exec(path)
  if (invoke) {
    const fn = functions.get(invoke[1] ?? '')
    if (!fn) {
      send(res, 404, `function ${invoke[1]} not found`)
      return true
    }
    const callId = String(req.headers['x-call-id'] ?? '')
    const run = (fn.runs[callId] ?? 0) + 1
    fn.runs[callId] = run
    if (run <= fn.fail) {
      send(
        res,
        fn.code,
        `run ${run} fails with ${fn.code}`,
        fn.retryAfter ? { 'retry-after': fn.retryAfter } : {},
      )
      return true
    }
    // Large bodies are described rather than echoed, so a callback stays small and checkable.
    if (body.bytes > 64 * 1024) {
      send(res, 200, { bytes: body.bytes, sha256: body.sha256, run }, { 'x-run': String(run) })
      return true
    }
    send(res, 200, body.text, {
      'content-type': String(req.headers['content-type'] ?? 'text/plain'),
      'x-run': String(run),
      'x-function-header': 'from the function',
    })
    return true
  }
  return false
}
