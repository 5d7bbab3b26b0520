/** R2 keys of stored bodies: random, so a caller's call id never shapes a key or collides with another call. */
export const requestBodyKey = (nonce: string): string => `requests/${nonce}`
/** One per run: two runs of one call never share a result object. */
export const resultBodyKey = (nonce: string, attempt: number): string => `results/${nonce}/${attempt}`

export type Read = { bytes: Uint8Array } | { tooLarge: true }

/**
 * Reads a body whole, stopping as soon as it exceeds `limit` bytes so that
 * an oversized upload is refused without being buffered.
 */
export async function readCapped(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Read> {
  if (body === null) return { bytes: new Uint8Array(0) }
  const chunks: Uint8Array[] = []
  let total = 0
  const reader = body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > limit) {
      await reader.cancel()
      return { tooLarge: true }
    }
    chunks.push(value)
  }
  return { bytes: concat(chunks, total) }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0]
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}
