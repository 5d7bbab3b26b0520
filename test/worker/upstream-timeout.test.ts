import { describe, expect, it } from 'vitest'
import { gateway, gatewayWith, release, tag } from './helpers'

describe('provider faults', () => {
  // An unreachable provider (502) is tested on the production bundle in test/faults/provider.test.ts:
  // workerd logs every refused connection, which would bury a real failure in this suite's output.
  it('answers 504 when the provider is slower than UPSTREAM_TIMEOUT', async () => {
    const res = await gatewayWith({ UPSTREAM_TIMEOUT: '200ms' }, '/function/slow?ms=3000')
    expect(res.status).toBe(504)
    expect(await res.text()).toBe('the functions provider did not answer /function/slow within 0.2s\n')
  })

  it('waits as long as UPSTREAM_TIMEOUT allows', async () => {
    const res = await gatewayWith({ UPSTREAM_TIMEOUT: '5s' }, '/function/slow?ms=300')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('slow')
  })

  it('lets a response that has started stream on past UPSTREAM_TIMEOUT', async () => {
    const t = tag()
    const res = await gatewayWith({ UPSTREAM_TIMEOUT: '200ms' }, '/function/sse', { headers: t.headers })
    expect(res.status).toBe(200)
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader()
    expect((await reader.read()).value).toBe('data: first\n\n')
    await new Promise((resolve) => setTimeout(resolve, 500))
    await release(t.id)
    let rest = ''
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += chunk.value
    expect(rest).toBe('data: second\n\n')
  })

  it('keeps the call id on a failed invocation so it can be traced', async () => {
    const res = await gateway('/function/slow?ms=3000', { headers: { 'x-call-id': 'trace-me' } })
    expect(res.status).toBe(504)
    expect(res.headers.get('x-call-id')).toBe('trace-me')
  })
})
