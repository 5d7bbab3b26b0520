/** Error bodies are one line of plain text, as OpenFaaS clients expect and print. */
export function plainText(status: number, message: string, headers?: HeadersInit): Response {
  const response = new Response(`${message}\n`, { status, headers })
  response.headers.set('content-type', 'text/plain; charset=utf-8')
  return response
}

/** The 404 for a function the provider does not have, one wording wherever the gateway finds it missing. */
export const noSuchFunction = (key: string): Response => plainText(404, `no such function: ${key}`)
