// What each step a gateway must add to a bare pass-through costs in workerd,
// alone and together: the floor under edgefaas's invocation path. VARIANT is
// `bare` or steps joined by `+`:
//   init      fetch(url, { method, headers, body }) instead of fetch(url, request)
//   headers   a mutable copy of the caller's headers with a call id, start time and forwarded host
//   response  a copy of the provider's response with the call id and start time on it
//   timer     the upstream deadline: a timer raced against the answer, cleared after
//   signal    the deadline as an AbortSignal handed to fetch instead
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

async function withResponseCopy(answer) {
  const upstream = await answer
  const response = new Response(upstream.body, upstream)
  response.headers.set('x-call-id', 'call')
  response.headers.set('x-start-time', '0')
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
    if (steps.has('response')) answer = withResponseCopy(answer)
    return answer
  },
}
