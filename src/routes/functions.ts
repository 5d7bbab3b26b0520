import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { toProvider } from '../forward/management'
import { methodNotAllowed } from '../http/allow'
import { readJson, validName } from '../http/input'
import { namespaceQuery } from '../http/query'
import { DeleteFunctionRequest, FunctionDeployment, pathName } from '../schemas/openfaas'

/** Deploy, update, list, describe and delete functions. */
export const functionsRoutes = new Hono<AppEnv>()
  .get('/system/functions', (c) =>
    toProvider(c, '/system/functions', { query: { namespace: namespaceQuery(c) } }),
  )
  .on(['POST', 'PUT'], '/system/functions', async (c) => {
    const { bytes } = await readJson(c, FunctionDeployment, 'FunctionDeployment')
    return toProvider(c, '/system/functions', { body: bytes })
  })
  .delete('/system/functions', async (c) => {
    const { bytes } = await readJson(c, DeleteFunctionRequest, 'DeleteFunctionRequest')
    return toProvider(c, '/system/functions', { body: bytes })
  })
  .all('/system/functions', methodNotAllowed('GET', 'POST', 'PUT', 'DELETE'))
  .get('/system/function/:name', (c) => {
    const name = validName(pathName, c.req.param('name'), 'function name')
    return toProvider(c, `/system/function/${name}`, { query: { namespace: namespaceQuery(c) } })
  })
  .all('/system/function/:name', methodNotAllowed('GET'))
