import { Hono } from 'hono'
import { permitted } from '../access/authorize'
import type { AppEnv } from '../env'
import { methodNotAllowed } from '../http/allow'
import { replicaSync } from '../scale/objects'

/**
 * What the autoscaler and the idler see and did, per function, as of the
 * replica sync's last tick. Behind basic auth like every /system route.
 */
export const scalingRoutes = new Hono<AppEnv>()
  .get('/system/scaling', async (c) => {
    const report = await replicaSync(c.env).scaling()
    // Scoped access: a token sees the functions it may read.
    report.functions = report.functions.filter((f) => permitted(c, 'Function:Read', f.namespace, f.name))
    return c.json(report)
  })
  .all('/system/scaling', methodNotAllowed('GET'))
