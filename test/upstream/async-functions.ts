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
  /** Replicas the provider reports; at 0 every invocation answers 503 until the gateway scales it up. */
  replicas: number
  /** Invocations answered 503 for want of a replica. */
  noReplica: number
  /** When set, GET /system/functions lists the function with these (the scheduler reads them); `null` unlists it. */
  annotations?: Record<string, string> | null
  /** The headers of each run, by call id: the last run's. */
  headers: Record<string, Record<string, string | string[] | undefined>>
}

const functions = new Map<string, AsyncFunction>()

// Runs held back until a test releases them, per `name/callId`: a run that is still in the function while
// the test lets its lease lapse, say. `armed` counts the next runs to hold; `waiting` those held now.
const holds = new Map<string, { armed: number; waiting: (() => void)[] }>()
const holdOf = (name: string, callId: string) => {
  const key = `${name}/${callId}`
  let hold = holds.get(key)
  if (!hold) {
    hold = { armed: 0, waiting: [] }
    holds.set(key, hold)
  }
  return hold
}

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
      const fn: AsyncFunction = {
        labels: {},
        fail: 0,
        code: 503,
        ...spec,
        runs: {},
        headers: {},
        replicas: 1,
        noReplica: 0,
      }
      functions.set(fn.name, fn)
      send(res, 201, fn)
    } else {
      const fn = functions.get(url.searchParams.get('name') ?? '')
      send(res, fn ? 200 : 404, fn ?? 'not defined')
    }
    return true
  }

  // `?name=&call=&runs=N` holds the call's next N runs; `held` says how many are held now; `release`
  // lets the oldest (or `which=newest`) go on with the answer it was given on arrival.
  if (path.startsWith('/__control/async-hold') || path === '/__control/async-release') {
    const hold = holdOf(url.searchParams.get('name') ?? '', url.searchParams.get('call') ?? '')
    if (path === '/__control/async-hold') hold.armed += Number(url.searchParams.get('runs') ?? '1')
    if (path === '/__control/async-release') {
      const go = url.searchParams.get('which') === 'newest' ? hold.waiting.pop() : hold.waiting.shift()
      go?.()
    }
    send(res, 200, { armed: hold.armed, held: hold.waiting.length })
    return true
  }

  // `?name=` with a JSON body sets the function's annotations (a redeploy); `null` unlists it (a delete).
  if (path === '/__control/async-annotations') {
    const fn = functions.get(url.searchParams.get('name') ?? '')
    if (fn) fn.annotations = JSON.parse(body.text) as Record<string, string> | null
    send(res, fn ? 200 : 404, fn ? 'ok' : 'not defined')
    return true
  }

  // `?name=&replicas=N` scales a function behind the gateway's back (another region's idler, say).
  if (path === '/__control/async-replicas') {
    const fn = functions.get(url.searchParams.get('name') ?? '')
    if (fn) fn.replicas = Number(url.searchParams.get('replicas') ?? '1')
    send(res, fn ? 200 : 404, fn ? { replicas: fn.replicas } : 'not defined')
    return true
  }

  const scale = /^\/system\/scale-function\/(async-[^/]+)$/.exec(path)
  if (scale && req.method === 'POST') {
    const fn = functions.get(scale[1] ?? '')
    if (!fn) send(res, 404, `function ${scale[1]} not found`)
    else {
      fn.replicas = (JSON.parse(body.text) as { replicas: number }).replicas
      send(res, 202, '')
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
        replicas: fn.replicas,
        availableReplicas: fn.replicas,
        labels: fn.labels,
        ...(fn.annotations ? { annotations: fn.annotations } : {}),
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
    if (fn.replicas === 0) {
      fn.noReplica++
      send(res, 503, `no replica of ${fn.name} is available`)
      return true
    }
    const callId = String(req.headers['x-call-id'] ?? '')
    const run = (fn.runs[callId] ?? 0) + 1
    fn.runs[callId] = run
    fn.headers[callId] = req.headers
    // A call may say how many of its own runs fail (`x-fail-runs`), and which of its headers the answer
    // echoes (`x-echo-*`), so that each call's answer is its own.
    const fail = req.headers['x-fail-runs'] === undefined ? fn.fail : Number(req.headers['x-fail-runs'])
    const echoed: Record<string, string> = {}
    for (const [name, value] of Object.entries(req.headers))
      if (name.startsWith('x-echo-') && typeof value === 'string') echoed[name] = value
    const answer = () => {
      if (run <= fail) {
        send(res, fn.code, `run ${run} fails with ${fn.code}`, {
          ...echoed,
          'x-run': String(run),
          ...(fn.retryAfter ? { 'retry-after': fn.retryAfter } : {}),
        })
        return
      }
      // Large bodies are described rather than echoed, so a callback stays small and checkable.
      if (body.bytes > 64 * 1024) {
        send(res, 200, { bytes: body.bytes, sha256: body.sha256, run }, { ...echoed, 'x-run': String(run) })
        return
      }
      // `x-answer-repeat: k` answers the body k times over: a result too large to keep in the ledger's row.
      const repeat = Number(req.headers['x-answer-repeat'] ?? '1')
      send(res, 200, body.text.repeat(repeat), {
        ...echoed,
        'content-type': String(req.headers['content-type'] ?? 'text/plain'),
        'x-run': String(run),
        'x-function-header': 'from the function',
      })
    }
    const hold = holds.get(`${fn.name}/${callId}`)
    if (hold && hold.armed > 0) {
      hold.armed--
      hold.waiting.push(answer)
    } else answer()
    return true
  }
  return false
}

/** The async test functions that have annotations, as GET /system/functions lists them (all in openfaas-fn). */
export function listedAsyncFunctions(namespace: string) {
  if (namespace !== 'openfaas-fn') return []
  return [...functions.values()]
    .filter((fn) => fn.annotations)
    .map((fn) => ({
      name: fn.name,
      namespace,
      image: 'functions/async-test:latest',
      replicas: fn.replicas,
      availableReplicas: fn.replicas,
      labels: fn.labels,
      annotations: fn.annotations,
    }))
}
