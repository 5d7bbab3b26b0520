import { Hono } from 'hono'
import type { AppEnv } from './env'
import { gatewayAuth } from './middleware/auth'
import { withConfig } from './middleware/config'
import { gatewayCors } from './middleware/cors'
import { notFound, onError } from './middleware/errors'
import { managementBody } from './middleware/management-body'
import { managementLog } from './middleware/management-log'
import { wellFormed } from './middleware/well-formed'
import { consume } from './queue/consumer'
import { alertRoutes } from './routes/alert'
import { asyncFunctionRoutes } from './routes/async-function'
import { deadLettersRoutes } from './routes/dead-letters'
import { functionRoutes } from './routes/function'
import { functionsRoutes } from './routes/functions'
import { healthRoutes } from './routes/health'
import { infoRoutes } from './routes/info'
import { logsRoutes } from './routes/logs'
import { metricsRoutes } from './routes/metrics'
import { namespacesRoutes } from './routes/namespaces'
import { scaleRoutes } from './routes/scale'
import { scalingRoutes } from './routes/scaling'
import { schedulesRoutes } from './routes/schedules'
import { secretsRoutes } from './routes/secrets'
import { uiRoutes } from './routes/ui'
import { replicaSync } from './scale/objects'
import { scheduler } from './schedule/objects'

const MANAGEMENT_BODY_LIMIT = 1024 * 1024

const app = new Hono<AppEnv>()
  .use(wellFormed)
  .use(withConfig)
  // Outside CORS and auth, so that their refusals are logged too; invocations log their own lines.
  .use('/system/*', managementLog)
  .use(gatewayCors)
  .use(gatewayAuth)
  .use('/system/*', managementBody(MANAGEMENT_BODY_LIMIT))
  .route('/', functionRoutes)
  .route('/', asyncFunctionRoutes)
  .route('/', deadLettersRoutes)
  .route('/', functionsRoutes)
  .route('/', scaleRoutes)
  .route('/', secretsRoutes)
  .route('/', logsRoutes)
  .route('/', namespacesRoutes)
  .route('/', infoRoutes)
  .route('/', healthRoutes)
  .route('/', metricsRoutes)
  .route('/', alertRoutes)
  .route('/', scalingRoutes)
  .route('/', schedulesRoutes)
  .route('/', uiRoutes)
  .notFound(notFound)
  .onError(onError)

export { CallLedger } from './durable/call-ledger'
export { FunctionState } from './durable/function-state'
export { MetricsShard } from './durable/metrics-shard'
export { ReplicaSync } from './durable/replica-sync'
export { Scheduler } from './durable/scheduler'
export { asyncCounters } from './queue/counters'

export default {
  fetch: app.fetch,
  queue: consume,
  // The sync first, so the schedules a deploy brought are in the book when the tick claims its slots.
  scheduled: (controller, env, ctx) =>
    ctx.waitUntil(
      replicaSync(env)
        .tick()
        .finally(() => scheduler(env).tick(controller.scheduledTime)),
    ),
} satisfies ExportedHandler<Env>
