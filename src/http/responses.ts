/** Error bodies are one line of plain text, as OpenFaaS clients expect and print. */
export function plainText(status: number, message: string, headers?: HeadersInit): Response {
  const response = new Response(`${message}\n`, { status, headers })
  response.headers.set('content-type', 'text/plain; charset=utf-8')
  return response
}
