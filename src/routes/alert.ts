import { Hono } from 'hono'
import { authorize } from '../access/authorize'
import type { AppEnv } from '../env'
import { functionStatus } from '../forward/provider-api'
import { functionKey, functionRef, splitFunctionName } from '../function-ref'
import { methodNotAllowed } from '../http/allow'
import { readJson } from '../http/input'
import { plainText } from '../http/responses'
import { alertReplicas, holdAtFloor } from '../scale/alert'
import { scaleLabels } from '../scale/labels'
import { setReplicas } from '../scale/set-replicas'
import { AlertRequest, isDnsLabel } from '../schemas/openfaas'

/**
 * AlertManager's webhook: each alert labelled with a `function_name`
 * (`name.namespace`, as the metrics label it) scales that function up while
 * firing and back to its minimum once resolved. Behind basic auth like every
 * /system route. Answers one line per alert saying what was done. While an
 * alert fires, the autoscaler keeps the function at least where the alert set it.
 */
export const alertRoutes = new Hono<AppEnv>()
  .post('/system/alert', async (c) => {
    authorize(c, 'System:Admin', '*')
    const { value } = await readJson(c, AlertRequest, 'AlertManager webhook')
    const config = c.get('config')
    const lines: string[] = []
    // A provider fault answers 502, so AlertManager sends the notification again.
    let faulted = false
    for (const alert of value.alerts) {
      const label = alert.labels.function_name
      if (!label) {
        lines.push(`skipped an alert without a function_name label (${alert.labels.alertname ?? 'unnamed'})`)
        continue
      }
      const fn = functionRef(config, splitFunctionName(label))
      if (!isDnsLabel(fn.name) || !isDnsLabel(fn.namespace)) {
        lines.push(`skipped function_name "${label}": not name.namespace`)
        continue
      }
      const key = functionKey(fn)
      const status = await functionStatus(config, fn)
      if (status.kind !== 'found') {
        faulted ||= status.kind === 'fault'
        lines.push(`${key}: ${status.kind === 'missing' ? 'no such function' : status.message}`)
        continue
      }
      const labels = scaleLabels(status.status.labels, (problem) => console.warn(`${key}: ${problem}`))
      const current = status.status.replicas ?? 0
      const replicas = alertReplicas(current, labels, alert.status)
      if (replicas !== undefined) await holdAtFloor(c.env, key, alert.status, replicas)
      if (replicas === undefined || replicas === current) {
        lines.push(
          `${key}: ${alert.status}, stays at ${current} (${replicas === undefined ? 'alert scaling off' : 'no change'})`,
        )
        continue
      }
      const result = await setReplicas(c.env, config, fn, replicas, 'alert')
      if (result.kind === 'refused' || result.kind === 'missing') {
        faulted ||= result.kind === 'refused'
        lines.push(`${key}: ${result.kind === 'refused' ? result.fault.message : 'no such function'}`)
        continue
      }
      const draining = result.kind === 'draining' ? ' (draining)' : ''
      console.log(`alert scaling: ${key} ${alert.status}: ${current} -> ${replicas}${draining}`)
      lines.push(`${key}: ${alert.status}, ${current} -> ${replicas}${draining}`)
    }
    return plainText(faulted ? 502 : 200, lines.join('\n'))
  })
  .all('/system/alert', methodNotAllowed('POST'))
