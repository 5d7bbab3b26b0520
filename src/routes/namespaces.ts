import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { toProvider } from '../forward/management'
import { methodNotAllowed } from '../http/allow'
import { badRequest, readJson, validName } from '../http/input'
import { dnsLabel, NamespaceRequest } from '../schemas/openfaas'

/** Namespaces are the provider's to manage; the gateway validates and forwards. */
export const namespacesRoutes = new Hono<AppEnv>()
  .get('/system/namespaces', (c) => toProvider(c, '/system/namespaces'))
  .all('/system/namespaces', methodNotAllowed('GET'))
  .get('/system/namespace/:ns', (c) => {
    const ns = validName(dnsLabel, c.req.param('ns'), 'namespace')
    return toProvider(c, `/system/namespace/${ns}`)
  })
  .delete('/system/namespace/:ns', (c) => {
    const ns = validName(dnsLabel, c.req.param('ns'), 'namespace')
    return toProvider(c, `/system/namespace/${ns}`)
  })
  .on(['POST', 'PUT'], '/system/namespace/:ns', async (c) => {
    const ns = validName(dnsLabel, c.req.param('ns'), 'namespace')
    const { value, bytes } = await readJson(c, NamespaceRequest, 'NamespaceRequest')
    if (value.name && value.name !== ns) {
      throw badRequest(`name "${value.name}" does not match the namespace in the path "${ns}"`)
    }
    return toProvider(c, `/system/namespace/${ns}`, { body: bytes })
  })
  .all('/system/namespace/:ns', methodNotAllowed('GET', 'POST', 'PUT', 'DELETE'))
