import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { plainText } from '../http/responses'

/**
 * Reads a management call's body whole before its handler runs, so a body is
 * all there or refused: over `maxBytes` is 413 (by Content-Length before a
 * byte is read, else once counted), and one that breaks off (the caller hung
 * up, a malformed chunk) is 400, never a 500 and never half-read. Management
 * bodies are small JSON, validated in full before anything is forwarded;
 * invocations, which stream, never pass here.
 */
export function managementBody(maxBytes: number) {
  const tooLarge = () => plainText(413, `request body exceeds ${maxBytes} bytes`)
  return createMiddleware<AppEnv>(async function managementBody(c, next) {
    const body = c.req.raw.body
    if (body === null) return next()
    const declared = Number(c.req.raw.headers.get('content-length') ?? 0)
    if (declared > maxBytes) return tooLarge()
    // Sized by Content-Length when there is one, grown as chunks come when there is not.
    let buffer = new Uint8Array(Math.max(0, Math.min(declared, maxBytes)))
    let size = 0
    const reader = body.getReader()
    try {
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        const chunk = read.value
        if (size + chunk.byteLength > maxBytes) {
          await reader.cancel().catch(() => {})
          return tooLarge()
        }
        if (size + chunk.byteLength > buffer.byteLength) {
          const grown = new Uint8Array(
            Math.min(maxBytes, Math.max(size + chunk.byteLength, buffer.byteLength * 2)),
          )
          grown.set(buffer.subarray(0, size))
          buffer = grown
        }
        buffer.set(chunk, size)
        size += chunk.byteLength
      }
    } catch {
      return plainText(400, 'the request body ended before it was complete')
    }
    c.req.raw = new Request(c.req.raw, { body: buffer.subarray(0, size) })
    await next()
  })
}
