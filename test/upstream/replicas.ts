import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * Functions whose replicas the test upstream models, for scale-from-zero
 * tests: a scale request sets the desired count, and replicas become
 * available after a cold start (or never); an invocation with none available
 * gets 503, as from a provider. Each test models its own function names and
 * reads back what the provider received (scale requests above all).
 */
export type Model = {
  name: string
  namespace: string
  replicas: number
  available: number
  coldStartMs: number
  neverReady: boolean
  /** When set, scale requests are refused with this status. */
  scaleStatus?: number
  labels: Record<string, string>
  scaleCalls: number[]
  statusCalls: number
  invocations: number
}

const models = new Map<string, Model>()

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' })
  res.end(text)
}

function becomeReadyLater(model: Model): void {
  if (model.neverReady) return
  setTimeout(() => {
    model.available = model.replicas
  }, model.coldStartMs)
}

function statusOf(model: Model) {
  return {
    name: model.name,
    namespace: model.namespace,
    image: 'functions/modelled:latest',
    replicas: model.replicas,
    availableReplicas: model.available,
    invocationCount: model.invocations,
    labels: model.labels,
  }
}

/** Answers the request if it concerns a modelled function or the model controls; false otherwise. */
export function handleModelled(req: IncomingMessage, res: ServerResponse, url: URL, body: string): boolean {
  const path = url.pathname
  if (path === '/__control/model') {
    if (req.method === 'POST') {
      const spec = JSON.parse(body) as Partial<Model> & { name: string }
      const model: Model = {
        namespace: 'openfaas-fn',
        replicas: 0,
        available: 0,
        coldStartMs: 1000,
        neverReady: false,
        labels: {},
        ...spec,
        scaleCalls: [],
        statusCalls: 0,
        invocations: 0,
      }
      if (model.available > model.replicas) model.available = model.replicas
      models.set(model.name, model)
      send(res, 201, model)
    } else {
      const model = models.get(url.searchParams.get('name') ?? '')
      send(res, model ? 200 : 404, model ?? 'not modelled')
    }
    return true
  }

  const status = /^\/system\/function\/([^/]+)$/.exec(path)
  if (status && models.has(status[1] ?? '')) {
    const model = models.get(status[1] ?? '') as Model
    model.statusCalls++
    send(res, 200, statusOf(model))
    return true
  }

  const scale = /^\/system\/scale-function\/([^/]+)$/.exec(path)
  if (scale && models.has(scale[1] ?? '')) {
    const model = models.get(scale[1] ?? '') as Model
    const { replicas } = JSON.parse(body) as { replicas: number }
    model.scaleCalls.push(replicas)
    if (model.scaleStatus) {
      send(res, model.scaleStatus, `cannot scale ${model.name}: the cluster is full`)
      return true
    }
    model.replicas = replicas
    if (replicas === 0) model.available = 0
    else if (model.available < replicas) becomeReadyLater(model)
    send(res, 202, '')
    return true
  }

  if (path === '/system/functions' && (req.method === 'DELETE' || req.method === 'POST')) {
    const spec = JSON.parse(body || '{}') as { functionName?: string; service?: string }
    if (req.method === 'DELETE' && spec.functionName && models.has(spec.functionName)) {
      models.delete(spec.functionName)
      send(res, 202, '')
      return true
    }
    if (req.method === 'POST' && spec.service?.startsWith('modelled-')) {
      const model: Model = {
        name: spec.service,
        namespace: 'openfaas-fn',
        replicas: 1,
        available: 0,
        coldStartMs: 100,
        neverReady: false,
        labels: {},
        scaleCalls: [],
        statusCalls: 0,
        invocations: 0,
      }
      models.set(model.name, model)
      becomeReadyLater(model)
      send(res, 202, '')
      return true
    }
    return false
  }

  const invoke = /^\/function\/([^/.?]+)/.exec(path)
  if (invoke && models.has(invoke[1] ?? '')) {
    const model = models.get(invoke[1] ?? '') as Model
    if (model.available === 0) {
      send(res, 503, `no available replicas for ${model.name}`)
      return true
    }
    model.invocations++
    send(res, 200, `served by ${model.name}: ${body}`)
    return true
  }
  if (/^\/system\/(function|scale-function)\/modelled-/.test(path)) {
    send(res, 404, `function ${path.split('/').pop()} not found`)
    return true
  }
  return false
}
