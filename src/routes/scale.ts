import { Hono } from 'hono'
import { authorize } from '../access/authorize'
import type { Config } from '../config'
import type { AppEnv } from '../env'
import { toProvider } from '../forward/management'
import { functionStatus } from '../forward/provider-api'
import { type FunctionRef, functionKey, functionRef } from '../function-ref'
import { methodNotAllowed } from '../http/allow'
import { badRequest, readJson, validName } from '../http/input'
import { namespaceQuery } from '../http/query'
import { noSuchFunction, plainText } from '../http/responses'
import { changed } from '../scale/from-zero'
import { scaleLabels } from '../scale/labels'
import { type SetReplicas, setReplicas } from '../scale/set-replicas'
import { pathName, ScaleServiceRequest } from '../schemas/openfaas'

/**
 * Set a function's desired replicas. Unlike OpenFaaS CE, 0 is allowed: scaling
 * to zero is how functions idle, and conformance clients do it. With scale
 * from zero on, 0 is a drain (`202`): the function goes to zero once no call
 * through the gateway is in flight, and a call meanwhile is never refused.
 * More than the function's com.openfaas.scale.max is capped at it
 * (X-Scale-Capped-At says so).
 */
export const scaleRoutes = new Hono<AppEnv>()
  .post('/system/scale-function/:name', async (c) => {
    const name = validName(pathName, c.req.param('name'), 'function name')
    const queryNamespace = namespaceQuery(c)
    const { value } = await readJson(c, ScaleServiceRequest, 'ScaleServiceRequest')
    if (value.serviceName && value.serviceName !== name) {
      throw badRequest(`serviceName "${value.serviceName}" does not match the function in the path "${name}"`)
    }
    if (value.namespace && queryNamespace && value.namespace !== queryNamespace) {
      throw badRequest(`namespace "${value.namespace}" does not match ?namespace=${queryNamespace}`)
    }
    const namespace = value.namespace || queryNamespace
    const config = c.get('config')
    const fn = functionRef(config, { name, namespace })
    authorize(c, 'Function:Admin', fn.namespace, fn.name)
    if (value.replicas === 0 && config.scaleFromZero)
      return drained(fn, await setReplicas(c.env, config, fn, 0, 'api'))
    const replicas = await cappedReplicas(config, fn, value.replicas)
    // serviceName may be omitted by callers; providers need it, and the path already says it.
    const body = JSON.stringify({
      ...value,
      replicas,
      serviceName: name,
      ...(namespace ? { namespace } : {}),
    })
    const response = await toProvider(c, `/system/scale-function/${name}`, {
      body,
      query: { namespace: queryNamespace },
    })
    // Told at once, so a function scaled to 0 is woken by its next invocation from any isolate.
    if (response.ok) await changed(c.env, fn, { kind: 'scaled', replicas })
    if (replicas !== value.replicas) response.headers.set('x-scale-capped-at', String(replicas))
    return response
  })
  .all('/system/scale-function/:name', methodNotAllowed('POST'))

/** What the caller of a scale to zero is told: accepted (now or once drained), or why not. */
function drained(fn: FunctionRef, result: SetReplicas): Response {
  const name = functionKey(fn)
  switch (result.kind) {
    case 'draining':
      return plainText(
        202,
        `draining ${name}: it scales to 0 once no call through the gateway is in flight, ` +
          `from ${new Date(result.closeAt).toISOString()} on`,
      )
    case 'zero':
    case 'scaled':
      return plainText(202, `${name} is at 0 replicas`)
    case 'missing':
      return noSuchFunction(name)
    case 'refused':
      return plainText(result.fault.status, result.fault.message)
  }
}

/**
 * A request is capped at the function's com.openfaas.scale.max; 0 always
 * passes. When the function's labels cannot be read, the provider decides.
 */
async function cappedReplicas(config: Config, fn: FunctionRef, replicas: number): Promise<number> {
  if (replicas === 0) return 0
  const status = await functionStatus(config, fn)
  if (status.kind !== 'found') return replicas
  const { max } = scaleLabels(status.status.labels, (problem) =>
    console.warn(`${functionKey(fn)}: ${problem}`),
  )
  return Math.min(replicas, max)
}
