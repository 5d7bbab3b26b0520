import { describe, expect, it } from 'vitest'
import { gateway, progress, release, tag } from './helpers'

const MiB = 1024 * 1024

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  // Bounded: 10 s at most, then the test fails saying what never happened.
  for (let i = 0; i < 200; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

function chunkOf(index: number, size: number): Uint8Array {
  return new Uint8Array(size).fill(index % 251)
}

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

describe('streaming through the gateway', () => {
  it('streams a request body to the provider before the caller has finished sending it', async () => {
    const t = tag()
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>()
    const writer = writable.getWriter()
    const pending = gateway('/function/stream-sink', { method: 'POST', body: readable, headers: t.headers })

    await writer.write(chunkOf(1, MiB))
    // Had the gateway buffered the body, the provider would see nothing until close().
    await until(async () => (await progress(t.id)) >= MiB, 'the first MiB to reach the provider')
    await writer.write(chunkOf(2, MiB))
    await writer.close()

    const res = await pending
    expect(res.status).toBe(200)
    const result = (await res.json()) as { bytes: number }
    expect(result.bytes).toBe(2 * MiB)
  })

  it('passes a 100 MB request body intact', async () => {
    const t = tag()
    const chunks = 100
    const digest = new crypto.DigestStream('SHA-256')
    const digestWriter = digest.getWriter()
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === chunks) {
          controller.close()
          await digestWriter.close()
          return
        }
        const chunk = chunkOf(sent, MiB)
        await digestWriter.write(chunk)
        controller.enqueue(chunk)
        sent++
      },
    })
    const res = await gateway('/function/stream-sink', { method: 'POST', body, headers: t.headers })
    expect(res.status).toBe(200)
    const result = (await res.json()) as { bytes: number; sha256: string }
    expect(result.bytes).toBe(100 * MiB)
    expect(result.sha256).toBe(hex(await digest.digest))
  })

  it('passes a 100 MB response body intact', async () => {
    const res = await gateway(`/function/download?bytes=${100 * MiB}`)
    expect(res.status).toBe(200)
    let bytes = 0
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.byteLength
    expect(bytes).toBe(100 * MiB)
  })

  it('delivers server-sent events as the function produces them', async () => {
    const t = tag()
    const res = await gateway('/function/sse', { headers: t.headers })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader()
    let text = ''
    // The second event is only written after the first was read here: buffering would hang.
    while (!text.includes('data: first\n\n')) {
      const { value, done } = await reader.read()
      if (done) break
      text += value
    }
    expect(text).toBe('data: first\n\n')
    await release(t.id)
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      text += value
    }
    expect(text).toBe('data: first\n\ndata: second\n\n')
  })
})
