import { describe, expect, it } from 'vitest'
import { gateway, received, tag } from './helpers'

describe('smoke', () => {
  it('invokes a function', async () => {
    const t = tag()
    const res = await gateway('/function/echo', { method: 'POST', body: 'hi', headers: t.headers })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('hi')
    const [req] = await received(t.id)
    expect(req?.url).toBe('/function/echo')
  })
})
