import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { poll, type Stack, startStack } from './stack'

let stack: Stack

beforeAll(async () => {
  stack = await startStack()
}, 90_000)

// Whatever happened, leave no process behind.
afterAll(() => stack?.stop())

describe('npm start', () => {
  it('serves the README quick start through the gateway', async () => {
    const deploy = await fetch(`${stack.gateway}/system/functions`, {
      method: 'POST',
      body: JSON.stringify({ service: 'wc', image: 'functions/alpine:latest', envProcess: 'wc' }),
    })
    expect(deploy.status).toBe(202)
    const text = await poll('wc to answer', async () => {
      const res = await fetch(`${stack.gateway}/function/wc`, { method: 'POST', body: 'hello edge world' })
      return res.status === 200 ? res.text() : undefined
    })
    expect(text.trim().split(/\s+/)).toEqual(['0', '3', '16'])
    const info = (await (await fetch(`${stack.gateway}/system/info`)).json()) as {
      provider: { provider: string }
    }
    expect(info.provider.provider).toBe('edgefaas-dev-provider')
  })

  it('wakes a function scaled to 0 on its next invocation, saying how long it waited', async () => {
    const scaled = await fetch(`${stack.gateway}/system/scale-function/wc`, {
      method: 'POST',
      body: JSON.stringify({ serviceName: 'wc', replicas: 0 }),
    })
    expect(scaled.status).toBe(202)
    // The gateway drains the function before the provider is told 0.
    await poll('wc to reach 0 replicas', async () => {
      const status = (await (await fetch(`${stack.gateway}/system/function/wc`)).json()) as {
        replicas: number
      }
      return status.replicas === 0 ? true : undefined
    })
    const woken = await fetch(`${stack.gateway}/function/wc`, { method: 'POST', body: 'wake up' })
    expect(woken.status).toBe(200)
    expect((await woken.text()).trim().split(/\s+/)).toEqual(['0', '2', '7'])
    expect(Number(woken.headers.get('x-scale-from-zero-seconds'))).toBeGreaterThan(0)
    const after = (await (await fetch(`${stack.gateway}/system/function/wc`)).json()) as {
      availableReplicas: number
    }
    expect(after.availableReplicas).toBe(1)
  })

  it('counts the invocations on /metrics', async () => {
    const deadline = Date.now() + 15_000
    let text = ''
    while (Date.now() < deadline) {
      text = await (await fetch(`${stack.gateway}/metrics`)).text()
      if (
        /^gateway_function_invocation_total\{function_name="wc\.openfaas-fn",code="200"\} [1-9]/m.test(text)
      )
        break
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    expect(text).toMatch(
      /^gateway_function_invocation_total\{function_name="wc\.openfaas-fn",code="200"\} [1-9]/m,
    )
  })

  it('serves the portal at /ui/, where / redirects', async () => {
    const root = await fetch(`${stack.gateway}/`, { redirect: 'manual' })
    expect(root.headers.get('location')).toBe('/ui/')
    const portal = await fetch(`${stack.gateway}/ui/`)
    expect(portal.status).toBe(200)
    expect(await portal.text()).toContain('<div id="app"></div>')
  })

  it('stops both servers on one Ctrl-C', async () => {
    stack.child.kill('SIGINT')
    const code = await poll('start.mjs to exit', async () => stack.child.exitCode ?? undefined, 120)
    expect(code).toBe(0)
    for (const url of [stack.gateway, stack.provider]) {
      await expect(fetch(`${url}/healthz`)).rejects.toThrow()
    }
  })
})
