import { Hono } from 'hono'
import { authorize, permittedIn } from '../access/authorize'
import type { AppEnv } from '../env'
import { toProvider } from '../forward/management'
import { invalidAnswer } from '../forward/provider-api'
import { methodNotAllowed } from '../http/allow'
import { badRequest, readJson, validName } from '../http/input'
import { plainText } from '../http/responses'
import { dnsLabel, NamespaceRequest } from '../schemas/openfaas'

/** Namespaces are the provider's to manage; the gateway validates and forwards. */
export const namespacesRoutes = new Hono<AppEnv>()
  .get('/system/namespaces', async (c) => {
    const response = await toProvider(c, '/system/namespaces')
    const config = c.get('config')
    if (!response.ok || (!config.credentials && !config.jwt)) return response
    // Filtered, not refused: a token lists the namespaces it holds any grant in.
    const names = (await response.json().catch(() => undefined)) as unknown
    if (!Array.isArray(names)) return plainText(502, invalidAnswer('/system/namespaces'))
    return c.json(names.filter((n) => typeof n === 'string' && permittedIn(c, n)))
  })
  .all('/system/namespaces', methodNotAllowed('GET'))
  .get('/system/namespace/:ns', (c) => {
    const ns = validName(dnsLabel, c.req.param('ns'), 'namespace')
    authorize(c, 'Namespace:Read', ns)
    return toProvider(c, `/system/namespace/${ns}`)
  })
  .delete('/system/namespace/:ns', (c) => {
    const ns = validName(dnsLabel, c.req.param('ns'), 'namespace')
    authorize(c, 'Namespace:Admin', ns)
    return toProvider(c, `/system/namespace/${ns}`)
  })
  .on(['POST', 'PUT'], '/system/namespace/:ns', async (c) => {
    const ns = validName(dnsLabel, c.req.param('ns'), 'namespace')
    authorize(c, 'Namespace:Admin', ns)
    const { value, bytes } = await readJson(c, NamespaceRequest, 'NamespaceRequest')
    if (value.name && value.name !== ns) {
      throw badRequest(`name "${value.name}" does not match the namespace in the path "${ns}"`)
    }
    return toProvider(c, `/system/namespace/${ns}`, { body: bytes })
  })
  .all('/system/namespace/:ns', methodNotAllowed('GET', 'POST', 'PUT', 'DELETE'))
