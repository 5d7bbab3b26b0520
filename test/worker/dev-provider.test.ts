import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { gatewayWith, utf8 } from './helpers'

// The gateway in workerd in front of the real dev provider: functions are real processes.
const devEnv = env as unknown as { DEV_PROVIDER_URL: string; DEV_PROVIDER_SECRETS_MODE: string }
const vars = { FUNCTIONS_PROVIDER_URL: devEnv.DEV_PROVIDER_URL }
const call = (path: string, init?: RequestInit) => gatewayWith(vars, path, init)
const send = (method: string, path: string, body: unknown) =>
  call(path, { method, body: JSON.stringify(body) })

async function untilReady(name: string, namespace = 'openfaas-fn'): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await call(`/system/function/${name}?namespace=${namespace}`)
    const status = (await res.json()) as { availableReplicas?: number }
    if ((status.availableReplicas ?? 0) > 0) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`${name} never became ready`)
}

describe('end to end: gateway and dev provider', () => {
  it('deploys, invokes, reads logs, scales and deletes a process function', async () => {
    const deploy = await send('POST', '/system/functions', {
      service: 'wc',
      image: 'functions/alpine:latest',
      envProcess: 'wc',
    })
    expect(deploy.status).toBe(202)
    await untilReady('wc')

    const invoke = await call('/function/wc', { method: 'POST', body: 'hello edge world\n' })
    expect(invoke.status).toBe(200)
    expect((await invoke.text()).trim().split(/\s+/)).toEqual(['1', '3', '17'])
    expect(invoke.headers.get('x-call-id')).toBeTruthy()
    expect(invoke.headers.get('x-duration-seconds')).toMatch(/^\d+\.\d+$/)

    // The list's count is the gateway's own, which lands with the isolate's next flush (about a second).
    let counted: number | undefined
    for (let i = 0; i < 60 && counted !== 1; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100))
      const list = (await (await call('/system/functions')).json()) as Array<{
        name: string
        invocationCount: number
      }>
      counted = list.find((f) => f.name === 'wc')?.invocationCount
    }
    expect(counted).toBe(1)

    const logs = await call('/system/logs?name=wc&tail=10')
    expect(logs.headers.get('content-type')).toContain('application/x-ndjson')
    const lines = (await utf8(logs))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { text: string }).text)
    expect(lines[0]).toBe('Forking fprocess.')
    expect(lines[1]).toMatch(/^Wrote 24 Bytes - Duration: \d+\.\d+s$/)

    const scale = await send('POST', '/system/scale-function/wc', { serviceName: 'wc', replicas: 0 })
    expect(scale.status).toBe(202)
    // The gateway drains the function before the provider is told 0.
    let replicas: number | undefined
    for (let i = 0; i < 300 && replicas !== 0; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100))
      replicas = ((await (await call('/system/function/wc')).json()) as { replicas: number }).replicas
    }
    expect(replicas).toBe(0)

    const remove = await send('DELETE', '/system/functions', { functionName: 'wc' })
    expect(remove.status).toBe(202)
    expect((await call('/system/function/wc')).status).toBe(404)
    expect((await call('/function/wc', { method: 'POST', body: 'x' })).status).toBe(404)
    const noLogs = await call('/system/logs?name=wc')
    expect(noLogs.status).toBe(501)
    expect(await noLogs.text()).toMatch(/^logs are not available from the functions provider \(404\): .*wc/)
  }, 30_000)

  it('answers a name that cannot be deployed as it answers an unknown function', async () => {
    for (const path of ['/function/ghost', '/function/UPPER', '/function/a..b', '/function/.openfaas-fn']) {
      const res = await call(path, { method: 'POST', body: 'x' })
      expect(res.status, path).toBe(404)
      expect(res.headers.get('content-type'), path).toContain('text/plain')
    }
  })

  it('passes the watchdog environment, query and namespace through', async () => {
    await send('POST', '/system/namespace/e2e-team', { name: 'e2e-team' })
    const deploy = await send('POST', '/system/functions', {
      service: 'env',
      namespace: 'e2e-team',
      image: 'functions/alpine:latest',
      envProcess: 'env',
      envVars: { greeting: 'hi' },
    })
    expect(deploy.status).toBe(202)
    await untilReady('env', 'e2e-team')
    const res = await call('/function/env.e2e-team/some/path?x=1', {
      method: 'POST',
      body: '',
      headers: { 'x-call-id': 'e2e-call' },
    })
    const vars = Object.fromEntries(
      (await res.text())
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    )
    expect(vars).toMatchObject({
      greeting: 'hi',
      Http_Method: 'POST',
      Http_Path: '/some/path',
      Http_Query: 'x=1',
      Http_X_Call_Id: 'e2e-call',
    })
    expect(vars.Http_X_Start_Time).toMatch(/^\d{19}$/)
    await send('DELETE', '/system/functions', { functionName: 'env', namespace: 'e2e-team' })
  })

  // Functions see /var/openfaas/secrets only in the provider's mount-namespace mode (root with unshare).
  it.skipIf(devEnv.DEV_PROVIDER_SECRETS_MODE !== 'namespace')(
    'creates a secret through the gateway that the function reads',
    async () => {
      expect(
        (await send('POST', '/system/secrets', { name: 'e2e-token', value: 'from-the-gateway' })).status,
      ).toBe(201)
      const names = (await (await call('/system/secrets')).json()) as Array<{ name: string }>
      expect(names.map((s) => s.name)).toContain('e2e-token')
      expect(JSON.stringify(names)).not.toContain('from-the-gateway')
      await send('POST', '/system/functions', {
        service: 'cat-secret',
        image: 'functions/alpine:latest',
        envProcess: 'cat /var/openfaas/secrets/e2e-token',
        secrets: ['e2e-token'],
      })
      await untilReady('cat-secret')
      const res = await call('/function/cat-secret', { method: 'POST' })
      expect(res.status).toBe(200)
      expect(await res.text()).toBe('from-the-gateway')
      await send('DELETE', '/system/functions', { functionName: 'cat-secret' })
    },
  )
})
