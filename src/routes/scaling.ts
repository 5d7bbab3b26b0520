import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { methodNotAllowed } from '../http/allow'
import { replicaSync } from '../scale/objects'

/**
 * What the autoscaler and the idler see and did, per function, as of the
 * replica sync's last tick. Behind basic auth like every /system route.
 */
export const scalingRoutes = new Hono<AppEnv>()
  .get('/system/scaling', async (c) => c.json(await replicaSync(c.env).scaling()))
  .all('/system/scaling', methodNotAllowed('GET'))
