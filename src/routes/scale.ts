import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { toProvider } from '../forward/management'
import { methodNotAllowed } from '../http/allow'
import { badRequest, readJson, validName } from '../http/input'
import { namespaceQuery } from '../http/query'
import { changed, functionRef } from '../scale/from-zero'
import { pathName, ScaleServiceRequest } from '../schemas/openfaas'

/**
 * Set a function's desired replicas. Unlike OpenFaaS CE, 0 is allowed: scaling
 * to zero is how functions idle, and conformance clients do it.
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
    // serviceName may be omitted by callers; providers need it, and the path already says it.
    const body = JSON.stringify({ ...value, serviceName: name, ...(namespace ? { namespace } : {}) })
    const response = await toProvider(c, `/system/scale-function/${name}`, {
      body,
      query: { namespace: queryNamespace },
    })
    // Told at once, so a function scaled to 0 is woken by its next invocation from any isolate.
    if (response.ok) {
      await changed(c.env, functionRef(c.get('config'), { name, namespace }), {
        kind: 'scaled',
        replicas: value.replicas,
      })
    }
    return response
  })
  .all('/system/scale-function/:name', methodNotAllowed('POST'))
