import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A scale request as the provider received it, with the invocations it was running at that moment. */
export type ScaleRequest = { at: number; replicas: number; inFlight: number }

export type ModelledProvider = {
  url: string
  /** Every scale request, in order. */
  scales: ScaleRequest[]
  /** Invocations answered 503 because no replica was available. */
  refused: number
  served: number
  available(): number
  close(): Promise<void>
}

/**
 * A provider with one function whose replicas it models: a scale to 0 takes
 * every replica away at once, as a provider does, and records how many
 * invocations it was running then; a scale up makes the replicas available
 * after `coldStartMs`. An invocation takes `workMs` and echoes its body; with
 * no replica available it is answered 503, as faas-netes and faasd answer.
 * Loopback only.
 */
export async function modelledProvider(options: {
  name: string
  namespace?: string
  labels?: Record<string, string>
  coldStartMs: number
  workMs: number
}): Promise<ModelledProvider> {
  const { name, coldStartMs, workMs } = options
  const namespace = options.namespace ?? 'openfaas-fn'
  let replicas = 1
  let available = 1
  let inFlight = 0
  let readyTimer: NodeJS.Timeout | undefined
  const model: Omit<ModelledProvider, 'url' | 'close'> = {
    scales: [],
    refused: 0,
    served: 0,
    available: () => available,
  }
  const status = () => ({
    name,
    namespace,
    image: 'functions/modelled:latest',
    replicas,
    availableReplicas: available,
    labels: options.labels ?? {},
  })
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
      if (url.pathname === '/system/functions' && req.method === 'GET') return json(res, 200, [status()])
      if (url.pathname === `/system/function/${name}`) return json(res, 200, status())
      if (url.pathname === `/system/scale-function/${name}` && req.method === 'POST') {
        const wanted = (JSON.parse(body.toString()) as { replicas: number }).replicas
        model.scales.push({ at: Date.now(), replicas: wanted, inFlight })
        clearTimeout(readyTimer)
        replicas = wanted
        if (wanted === 0) available = 0
        else if (available < wanted) readyTimer = setTimeout(() => (available = replicas), coldStartMs)
        res.writeHead(202)
        res.end()
        return
      }
      if (url.pathname === `/function/${name}` || url.pathname.startsWith(`/function/${name}/`)) {
        if (available === 0) {
          model.refused++
          res.writeHead(503, { 'content-type': 'text/plain' })
          res.end(`No endpoints available for: ${name}.`)
          return
        }
        inFlight++
        setTimeout(() => {
          inFlight--
          model.served++
          res.writeHead(200, { 'content-type': 'text/plain' })
          res.end(body)
        }, workMs)
        return
      }
      res.writeHead(404)
      res.end('not modelled')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    ...model,
    get refused() {
      return model.refused
    },
    get served() {
      return model.served
    },
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        clearTimeout(readyTimer)
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
