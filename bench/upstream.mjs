// The function behind every case: 200 with the request body, streamed back
// as it arrives so a 1 MiB body is never held whole, and its status, always ready. It shares the load
// generator's process and core, so its cost is the same in every case.
import { createServer } from 'node:http'

export async function startEcho() {
  const server = createServer((req, res) => {
    // The gateway asks for a function's status before it first invokes it (scale from zero).
    if (req.url?.startsWith('/system/function/')) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          name: 'echo',
          namespace: 'openfaas-fn',
          image: 'x',
          replicas: 1,
          availableReplicas: 1,
        }),
      )
      return
    }
    const headers = { 'content-type': 'application/octet-stream' }
    if (req.headers['content-length'] !== undefined) headers['content-length'] = req.headers['content-length']
    res.writeHead(200, headers)
    req.pipe(res)
  })
  server.keepAliveTimeout = 60_000
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(resolve)
      }),
  }
}
