import { describe, expect, it } from 'vitest'
import { alertReplicas } from '../../src/scale/alert'
import { DEFAULT_SCALE, type ScaleLabels, scaleLabels } from '../../src/scale/labels'
import { basic, gatewayWith, upstreamUrl } from './helpers'

const labels = (l: Partial<ScaleLabels>): ScaleLabels => ({ ...DEFAULT_SCALE, ...l })

describe('alert scaling math', () => {
  it.each([
    // current, labels, status → replicas
    [1, {}, 'firing', 5], // step ceil(20 × 20 / 100) = 4
    [5, {}, 'firing', 9],
    [18, {}, 'firing', 20], // capped at max
    [20, {}, 'firing', 20],
    [1, { max: 5, factor: 20 }, 'firing', 2], // ceil(5 × 0.2) = 1
    [1, { max: 7, factor: 10 }, 'firing', 2], // ceil(0.7) = 1
    [1, { max: 10, factor: 100 }, 'firing', 10],
    [0, { min: 2 }, 'firing', 6], // from below min, counted from min
    [9, {}, 'resolved', 1],
    [9, { min: 3 }, 'resolved', 3],
    [1, { factor: 0 }, 'firing', undefined], // factor 0 disables
    [4, { min: 4, max: 4 }, 'firing', undefined], // min == max disables
    [4, { min: 4, max: 4 }, 'resolved', undefined],
  ] as const)('%i replicas, labels %j, %s → %s', (current, l, status, expected) => {
    expect(alertReplicas(current, labels(l), status)).toBe(expected)
  })
})

describe('scale labels', () => {
  const read = (l: Record<string, string>) => {
    const warnings: string[] = []
    const result = scaleLabels(l, (w) => warnings.push(w))
    return { result, warnings }
  }

  it('reads the labels, with defaults for those left out', () => {
    expect(read({}).result).toEqual({ min: 1, max: 20, factor: 20, type: 'rps', zero: false })
    expect(
      read({
        'com.openfaas.scale.min': '2',
        'com.openfaas.scale.max': '8',
        'com.openfaas.scale.factor': '50',
      }).result,
    ).toMatchObject({ min: 2, max: 8, factor: 50 })
    expect(read({ 'com.openfaas.scale.min': '0' }).result.min).toBe(0)
    expect(read({}).warnings).toEqual([])
  })

  it.each([
    [
      { 'com.openfaas.scale.min': 'two' },
      { min: 1, max: 20, factor: 20 },
      'com.openfaas.scale.min="two" is not a whole number',
    ],
    [
      { 'com.openfaas.scale.max': '-3' },
      { min: 1, max: 20, factor: 20 },
      'com.openfaas.scale.max="-3" is not a whole number',
    ],
    [
      { 'com.openfaas.scale.factor': '2.5' },
      { min: 1, max: 20, factor: 20 },
      'factor="2.5" is not a whole number',
    ],
    [{ 'com.openfaas.scale.factor': '150' }, { min: 1, max: 20, factor: 20 }, 'factor=150 is over 100'],
    [{ 'com.openfaas.scale.max': '0' }, { min: 1, max: 20, factor: 20 }, 'max=0 would forbid every replica'],
    [
      { 'com.openfaas.scale.min': '9', 'com.openfaas.scale.max': '3' },
      { min: 1, max: 3, factor: 20 },
      'com.openfaas.scale.min=9 is over com.openfaas.scale.max=3',
    ],
    [
      { 'com.openfaas.scale.min': '' },
      { min: 1, max: 20, factor: 20 },
      'com.openfaas.scale.min="" is not a whole number',
    ],
  ])('a bad label %j: defaults %j and a warning', (l, expected, warning) => {
    const { result, warnings } = read(l)
    expect(result).toEqual({ ...DEFAULT_SCALE, ...expected })
    expect(warnings.join('\n')).toContain(warning)
  })
})

describe('POST /system/alert', () => {
  const AUTH = { BASIC_AUTH: 'true', BASIC_AUTH_USER: 'alertmanager', BASIC_AUTH_PASSWORD: 'pw' }
  const headers = { authorization: basic('alertmanager', 'pw') }
  let counter = 0
  async function model(spec: Record<string, unknown>): Promise<string> {
    const name = `modelled-alert-${Date.now().toString(36)}-${counter++}`
    await fetch(`${upstreamUrl}/__control/model`, { method: 'POST', body: JSON.stringify({ name, ...spec }) })
    return name
  }
  const scaleCalls = async (name: string) =>
    ((await (await fetch(`${upstreamUrl}/__control/model?name=${name}`)).json()) as { scaleCalls: number[] })
      .scaleCalls
  const webhook = (status: 'firing' | 'resolved', functionName: string) =>
    JSON.stringify({
      version: '4',
      status,
      receiver: 'scale-up',
      alerts: [{ status, labels: { alertname: 'APIHighInvocationRate', function_name: functionName } }],
    })

  it('scales up while firing and back to min once resolved', async () => {
    const name = await model({
      replicas: 1,
      available: 1,
      labels: {
        'com.openfaas.scale.min': '1',
        'com.openfaas.scale.max': '10',
        'com.openfaas.scale.factor': '20',
      },
    })
    const firing = await gatewayWith(AUTH, '/system/alert', {
      method: 'POST',
      headers,
      body: webhook('firing', `${name}.openfaas-fn`),
    })
    expect(firing.status).toBe(200)
    expect(await firing.text()).toBe(`${name}.openfaas-fn: firing, 1 -> 3\n`)
    const resolved = await gatewayWith(AUTH, '/system/alert', {
      method: 'POST',
      headers,
      body: webhook('resolved', `${name}.openfaas-fn`),
    })
    expect(await resolved.text()).toBe(`${name}.openfaas-fn: resolved, 3 -> 1\n`)
    expect(await scaleCalls(name)).toEqual([3, 1])
  })

  it('leaves a function alone when its labels turn alert scaling off', async () => {
    const name = await model({ replicas: 2, available: 2, labels: { 'com.openfaas.scale.factor': '0' } })
    const res = await gatewayWith(AUTH, '/system/alert', {
      method: 'POST',
      headers,
      body: webhook('firing', name),
    })
    expect(await res.text()).toBe(`${name}.openfaas-fn: firing, stays at 2 (alert scaling off)\n`)
    expect(await scaleCalls(name)).toEqual([])
  })

  it('is behind basic auth, refuses a malformed body, and answers 502 when the provider fails', async () => {
    expect(
      (await gatewayWith(AUTH, '/system/alert', { method: 'POST', body: webhook('firing', 'x') })).status,
    ).toBe(401)
    const bad = await gatewayWith(AUTH, '/system/alert', {
      method: 'POST',
      headers,
      body: JSON.stringify({ alerts: [{ status: 'burning', labels: {} }] }),
    })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('alerts.0.status must be "firing" or "resolved"')
    const refused = await model({ replicas: 1, available: 1, scaleStatus: 500 })
    const failed = await gatewayWith(AUTH, '/system/alert', {
      method: 'POST',
      headers,
      body: webhook('firing', refused),
    })
    expect(failed.status).toBe(502)
    expect(await failed.text()).toContain('the cluster is full')
  })
})
