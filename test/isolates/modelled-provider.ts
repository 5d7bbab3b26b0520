import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A scale request as the provider received it, with the invocations it was running at that moment. */
export type ScaleRequest = { at: number; replicas: number; inFlight: number }

export type ModelledFunction = {
  /** Every scale request, in order. */
  scales: ScaleRequest[]
  /** Invocations answered 503 because no replica was available. */
  refused: number
  /** Invocations answered 200. */
  served: number
  /** Each invocation's headers, oldest first. */
  calls: { headers: import('node:http').IncomingHttpHeaders }[]
  replicas(): number
  available(): number
}

export type ModelledProvider = ModelledFunction & {
  url: string
  /** The model of one function by name; the first one's is the provider's own fields. */
  fn(name: string): ModelledFunction
  close(): Promise<void>
}

export type FunctionModel = {
  name: string
  labels?: Record<string, string>
  /** Listed with the function (a schedule's annotations, say). */
  annotations?: Record<string, string>
  /** Replicas at the start, all available (default 1). */
  replicas?: number
  coldStartMs: number
  workMs: number
}

/**
 * A provider whose functions' replicas it models: a scale to 0 takes every
 * replica away at once, as a provider does, and records how many invocations
 * it was running then; a scale up makes the replicas available after
 * `coldStartMs`. An invocation takes `workMs` and echoes its body; with no
 * replica available it is answered 503, as faas-netes and faasd answer.
 * One function by the options themselves, or several in `functions`.
 * Loopback only.
 */
export async function modelledProvider(
  options: FunctionModel & { namespace?: string; functions?: FunctionModel[] },
): Promise<ModelledProvider> {
  const namespace = options.namespace ?? 'openfaas-fn'
  const models = new Map((options.functions ?? [options]).map((spec) => [spec.name, modelFunction(spec)]))
  const json = (res: import('node:http').ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const url = new URL(req.url ?? '/', 'http://provider')
      if (url.pathname === '/system/namespaces') return json(res, 200, [namespace])
      if (url.pathname === '/system/functions' && req.method === 'GET')
        return json(
          res,
          200,
          [...models.values()].map((m) => m.status(namespace)),
        )
      const [, kind, name] =
        /^\/(system\/function|system\/scale-function|function)\/([^/.]+)(?:\.[^/]+)?/.exec(url.pathname) ?? []
      const model = name === undefined ? undefined : models.get(name)
      if (!model) {
        if (kind === 'system/function') return json(res, 404, `no such function: ${name}`)
        res.writeHead(404)
        res.end('not modelled')
        return
      }
      if (kind === 'system/function') return json(res, 200, model.status(namespace))
      if (kind === 'system/scale-function' && req.method === 'POST') {
        model.scale((JSON.parse(body.toString()) as { replicas: number }).replicas)
        res.writeHead(202)
        res.end()
        return
      }
      if (kind === 'function') return model.invoke(body, req.headers, res)
      res.writeHead(404)
      res.end('not modelled')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const first = models.values().next().value as ReturnType<typeof modelFunction>
  return {
    scales: first.model.scales,
    get refused() {
      return first.model.refused
    },
    get served() {
      return first.model.served
    },
    calls: first.model.calls,
    replicas: first.model.replicas,
    available: first.model.available,
    fn(name: string) {
      const found = models.get(name)
      if (!found) throw new Error(`${name} is not modelled`)
      return found.model
    },
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const m of models.values()) m.stop()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function modelFunction({
  name,
  labels,
  annotations,
  replicas: initial = 1,
  coldStartMs,
  workMs,
}: FunctionModel) {
  let replicas = initial
  let available = initial
  let inFlight = 0
  let readyTimer: NodeJS.Timeout | undefined
  const model: ModelledFunction = {
    scales: [],
    refused: 0,
    served: 0,
    calls: [],
    replicas: () => replicas,
    available: () => available,
  }
  return {
    model,
    status: (namespace: string) => ({
      name,
      namespace,
      image: 'functions/modelled:latest',
      replicas,
      availableReplicas: available,
      labels: labels ?? {},
      ...(annotations ? { annotations } : {}),
    }),
    scale(wanted: number) {
      model.scales.push({ at: Date.now(), replicas: wanted, inFlight })
      clearTimeout(readyTimer)
      replicas = wanted
      if (wanted < available) available = wanted
      else if (available < wanted) readyTimer = setTimeout(() => (available = replicas), coldStartMs)
    },
    invoke(
      body: Buffer,
      headers: import('node:http').IncomingHttpHeaders,
      res: import('node:http').ServerResponse,
    ) {
      if (available === 0) {
        model.refused++
        res.writeHead(503, { 'content-type': 'text/plain' })
        res.end(`No endpoints available for: ${name}.`)
        return
      }
      inFlight++
      model.calls.push({ headers })
      setTimeout(() => {
        inFlight--
        model.served++
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.end(body)
      }, workMs)
    },
    stop: () => clearTimeout(readyTimer),
  }
}
