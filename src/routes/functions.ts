import { Hono } from 'hono'
import { authorize, permitted } from '../access/authorize'
import type { AppEnv } from '../env'
import { toProvider } from '../forward/management'
import { functionRef } from '../function-ref'
import { methodNotAllowed } from '../http/allow'
import { readJson, validName } from '../http/input'
import { namespaceQuery } from '../http/query'
import { withInvocationCounts } from '../metrics/invocation-count'
import { changed } from '../scale/from-zero'
import { DeleteFunctionRequest, FunctionDeployment, pathName } from '../schemas/openfaas'

const DEPLOYED = { kind: 'deployed' } as const
const DELETED = { kind: 'deleted' } as const

/**
 * Deploy, update, list, describe and delete functions. A change that the
 * provider accepts is told to the function's Durable Object at once, so every
 * isolate acts on it (a deleted function is not forwarded to).
 */
export const functionsRoutes = new Hono<AppEnv>()
  .get('/system/functions', async (c) => {
    const namespace = namespaceQuery(c)
    const resolved = namespace ?? c.get('config').defaultNamespace
    authorize(c, 'Function:Read', resolved)
    const response = await toProvider(c, '/system/functions', { query: { namespace } })
    return withInvocationCounts(c.env, c.get('config'), response, {
      call: '/system/functions',
      list: true,
      // A token allowed some functions of a namespace sees those only.
      keep: (fn) => permitted(c, 'Function:Read', fn.namespace || resolved, fn.name),
    })
  })
  .on(['POST', 'PUT'], '/system/functions', async (c) => {
    const { value, bytes } = await readJson(c, FunctionDeployment, 'FunctionDeployment')
    const fn = functionRef(c.get('config'), { name: value.service, namespace: value.namespace })
    authorize(c, 'Function:Admin', fn.namespace, fn.name)
    const response = await toProvider(c, '/system/functions', { body: bytes })
    if (response.ok) await changed(c.env, fn, DEPLOYED)
    return response
  })
  .delete('/system/functions', async (c) => {
    const { value, bytes } = await readJson(c, DeleteFunctionRequest, 'DeleteFunctionRequest')
    const fn = functionRef(c.get('config'), { name: value.functionName, namespace: value.namespace })
    authorize(c, 'Function:Admin', fn.namespace, fn.name)
    const response = await toProvider(c, '/system/functions', { body: bytes })
    if (response.ok) await changed(c.env, fn, DELETED)
    return response
  })
  .all('/system/functions', methodNotAllowed('GET', 'POST', 'PUT', 'DELETE'))
  .get('/system/function/:name', async (c) => {
    const name = validName(pathName, c.req.param('name'), 'function name')
    const namespace = namespaceQuery(c)
    authorize(c, 'Function:Read', namespace ?? c.get('config').defaultNamespace, name)
    const response = await toProvider(c, `/system/function/${name}`, { query: { namespace } })
    return withInvocationCounts(c.env, c.get('config'), response, {
      call: `/system/function/${name}`,
      list: false,
    })
  })
  .all('/system/function/:name', methodNotAllowed('GET'))
