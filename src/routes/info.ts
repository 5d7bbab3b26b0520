import { Hono } from 'hono'
import { gatewayVersion } from '../build-info'
import type { AppEnv } from '../env'
import { toProvider } from '../forward/management'
import { invalidAnswer } from '../forward/provider-api'
import { methodNotAllowed } from '../http/allow'
import { plainText } from '../http/responses'
import { type GatewayInfo, ProviderInfo } from '../schemas/openfaas'

/** The provider's own info, wrapped with the gateway's version as OpenFaaS clients expect. */
export const infoRoutes = new Hono<AppEnv>()
  .get('/system/info', async (c) => {
    const response = await toProvider(c, '/system/info')
    if (!response.ok) return response
    const parsed = ProviderInfo.safeParse(await response.json().catch(() => undefined))
    if (!parsed.success) return plainText(502, invalidAnswer('/system/info'))
    const info: GatewayInfo = { provider: parsed.data, version: gatewayVersion, arch: 'workerd' }
    return c.json(info)
  })
  .all('/system/info', methodNotAllowed('GET'))
