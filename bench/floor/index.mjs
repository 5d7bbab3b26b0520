// What each step a gateway must add to a bare pass-through costs in workerd,
// alone and together: the floor under edgefaas's invocation path. VARIANT is
// `bare` or steps joined by `+`:
//   init      fetch(url, { method, headers, body }) instead of fetch(url, request)
//   headers   a mutable copy of the caller's headers with a call id, start time and forwarded host
//   response  a copy of the provider's response with the call id and start time on it
//   timer     the upstream deadline: a timer raced against the answer, cleared after
//   signal    the deadline as an AbortSignal handed to fetch instead
//   trace     W3C trace context and Server-Timing: a traceparent to the function, and on the response with
//             a Server-Timing entry (with `headers` and `response`)
//   log       one JSON line per call to the Worker's log, written once the response head is known
// Built and served like the gateway by bench/floor.mjs.
function step(request, env, steps) {
  const url = env.UPSTREAM_URL + new URL(request.url).pathname
  if (!steps.has('init') && !steps.has('headers') && !steps.has('signal')) return fetch(url, request)
  let headers = request.headers
  if (steps.has('headers')) {
    headers = new Headers(request.headers)
    headers.delete('accept-encoding')
    headers.set('x-call-id', crypto.randomUUID())
    headers.set('x-start-time', `${Date.now()}000000`)
    headers.set('x-forwarded-host', 'gateway.example')
    if (steps.has('trace')) headers.set('traceparent', `00-${hex(4)}-${hex(2)}-03`)
  }
  const init = { method: request.method, headers, body: request.body, redirect: 'manual' }
  if (steps.has('signal')) init.signal = AbortSignal.timeout(60_000)
  return fetch(url, init)
}

async function withTimer(answer) {
  let timer = 0
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve(new Response('late', { status: 504 })), 60_000)
  })
  try {
    return await Promise.race([answer, late])
  } finally {
    clearTimeout(timer)
  }
}

const hex = (words) => {
  let text = ''
  for (let i = 0; i < words; i++) text += ((Math.random() * 0xffffffff) >>> 0).toString(16).padStart(8, '0')
  return text
}

async function withResponseCopy(answer, steps) {
  const started = Date.now()
  const upstream = await answer
  const response = new Response(upstream.body, upstream)
  response.headers.set('x-call-id', 'call')
  response.headers.set('x-start-time', '0')
  if (steps.has('trace')) {
    response.headers.append('server-timing', `gateway;dur=0, upstream;dur=${Date.now() - started}`)
    response.headers.set('traceparent', `00-${hex(4)}-${hex(2)}-03`)
  }
  return response
}

async function withLogLine(answer, request) {
  const started = Date.now()
  const response = await answer
  console.log(
    JSON.stringify({
      kind: 'sync',
      callId: 'c905b0ff-b313-4521-a663-ef138e6b366e',
      function: 'echo',
      namespace: 'openfaas-fn',
      method: request.method,
      path: '/function/echo',
      status: response.status,
      durationMs: Date.now() - started,
      upstreamMs: 0,
      traceId: '0af7651916cd43dd8448eb211c80319c',
    }),
  )
  return response
}

const parsed = new Map()

export default {
  fetch(request, env) {
    let steps = parsed.get(env.VARIANT)
    if (!steps) {
      steps = new Set(env.VARIANT === 'bare' ? [] : env.VARIANT.split('+'))
      parsed.set(env.VARIANT, steps)
    }
    let answer = step(request, env, steps)
    if (steps.has('timer')) answer = withTimer(answer)
    if (steps.has('response')) answer = withResponseCopy(answer, steps)
    if (steps.has('log')) answer = withLogLine(answer, request)
    return answer
  },
}
