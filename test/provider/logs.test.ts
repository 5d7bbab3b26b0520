import { beforeAll, describe, expect, it } from 'vitest'
import {
  deploy,
  fixture,
  type LogEntry,
  logs,
  startTestProvider,
  type TestProvider,
  waitFor,
} from './helpers.ts'

// Reads NDJSON lines from a streaming response as they arrive.
function lineReader(body: ReadableStream<Uint8Array>) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  return {
    async next(): Promise<LogEntry | undefined> {
      while (!buffer.includes('\n')) {
        const { done, value } = await reader.read()
        if (done) return undefined
        buffer += value
      }
      const line = buffer.slice(0, buffer.indexOf('\n'))
      buffer = buffer.slice(buffer.indexOf('\n') + 1)
      return JSON.parse(line) as LogEntry
    },
  }
}

describe('/system/logs', () => {
  let p: TestProvider
  beforeAll(async () => {
    p = await startTestProvider()
    await deploy(p, {
      service: 'talker',
      envProcess: fixture('stderr.sh'),
      labels: { 'com.openfaas.scale.min': '2' },
    })
    await p.request('POST', '/system/namespace/other', {})
    await deploy(p, { service: 'talker', namespace: 'other', envProcess: 'cat' })
    for (const body of ['one', 'two']) await p.request('POST', '/function/talker', body)
  })

  it('returns the buffered lines as NDJSON LogEntries', async () => {
    const res = await p.request('GET', '/system/logs?name=talker&follow=false')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/x-ndjson')
    expect(res.text.endsWith('\n')).toBe(true)
    const entries = res.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as LogEntry)
    expect(entries.map((e) => e.text)).toEqual([
      'Forking fprocess.',
      'first stderr line',
      'second stderr line',
      expect.stringMatching(/^Wrote 3 Bytes - Duration: \d+\.\d{6}s$/),
      'Forking fprocess.',
      'first stderr line',
      'second stderr line',
      expect.stringMatching(/^Wrote 3 Bytes - Duration: /),
    ])
    for (const entry of entries) {
      expect(Object.keys(entry).sort()).toEqual(['instance', 'name', 'namespace', 'text', 'timestamp'])
      expect(entry).toMatchObject({ name: 'talker', namespace: 'openfaas-fn' })
      expect(entry.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/)
    }
    const times = entries.map((e) => e.timestamp)
    expect([...times].sort()).toEqual(times)
  })

  it('keeps namespaces apart', async () => {
    await p.request('POST', '/function/talker.other', 'x')
    const other = await logs(p, 'name=talker&namespace=other')
    expect(other.map((e) => e.text)).toEqual(['Forking fprocess.', expect.stringMatching(/^Wrote 1 Bytes/)])
    expect(other.every((e) => e.namespace === 'other')).toBe(true)
  })

  it('filters by tail, since and instance', async () => {
    const all = await logs(p, 'name=talker')
    expect((await logs(p, 'name=talker&tail=2')).map((e) => e.timestamp)).toEqual(
      all.slice(-2).map((e) => e.timestamp),
    )
    expect(await logs(p, 'name=talker&tail=-1')).toEqual(all)
    expect(await logs(p, 'name=talker&tail=0')).toEqual(all)
    const from = all[4] as LogEntry
    expect(await logs(p, `name=talker&since=${from.timestamp}`)).toEqual(all.slice(4))
    // The same instant written in +01:00, nanoseconds kept.
    const shifted = new Date(Date.parse(from.timestamp) + 3_600_000).toISOString().slice(0, 19)
    const inParis = `${shifted}${from.timestamp.slice(19, -1)}+01:00`
    expect(await logs(p, `name=talker&since=${encodeURIComponent(inParis)}`)).toEqual(all.slice(4))
    const instance = (all[0] as LogEntry).instance
    const byInstance = await logs(p, `name=talker&instance=${instance}`)
    expect(byInstance.length).toBeGreaterThan(0)
    expect(byInstance.every((e) => e.instance === instance)).toBe(true)
    expect(byInstance.length).toBeLessThan(all.length)
  })

  it('follows: streams new lines as they are produced, until the client disconnects', async () => {
    const abort = new AbortController()
    const res = await fetch(`${p.url}/system/logs?name=talker&tail=1&follow=true`, { signal: abort.signal })
    expect(res.status).toBe(200)
    const lines = lineReader(res.body as ReadableStream<Uint8Array>)
    expect((await lines.next())?.text).toMatch(/^Wrote /)
    await waitFor(() => p.stats().logFollowers === 1, 'the follower to register')

    await p.request('POST', '/function/talker', 'three')
    expect((await lines.next())?.text).toBe('Forking fprocess.')
    expect((await lines.next())?.text).toBe('first stderr line')
    expect((await lines.next())?.text).toBe('second stderr line')
    expect((await lines.next())?.text).toMatch(/^Wrote 5 Bytes/)

    abort.abort()
    await waitFor(() => p.stats().logFollowers === 0, 'the follower to be removed')
  })

  it('ends a follow stream when the function is deleted', async () => {
    await deploy(p, { service: 'shortlived', envProcess: 'cat' })
    const res = await fetch(`${p.url}/system/logs?name=shortlived&follow=1`)
    const lines = lineReader(res.body as ReadableStream<Uint8Array>)
    await waitFor(() => p.stats().logFollowers === 1, 'the follower to register')
    await p.request('DELETE', '/system/functions', { functionName: 'shortlived' })
    expect(await lines.next()).toBeUndefined()
    expect(p.stats().logFollowers).toBe(0)
  })

  it('ends follow streams when the provider stops', async () => {
    const own = await startTestProvider()
    await deploy(own, { service: 'watched', envProcess: 'cat' })
    const res = await fetch(`${own.url}/system/logs?name=watched&follow=true`)
    const lines = lineReader(res.body as ReadableStream<Uint8Array>)
    await waitFor(() => own.stats().logFollowers === 1, 'the follower to register')
    await own.close()
    expect(await lines.next()).toBeUndefined()
  })

  it('refuses bad queries', async () => {
    const cases: [string, number, RegExp][] = [
      ['', 400, /name/],
      ['name=ghost', 404, /function ghost not found/],
      ['name=talker&namespace=ghost', 404, /not found in namespace ghost/],
      ['name=talker&tail=many', 400, /tail/],
      ['name=talker&since=yesterday', 400, /since must be an RFC3339 timestamp/],
      ['name=talker&follow=maybe', 400, /follow must be true or false/],
      ['name=bad%20name', 400, /name/],
    ]
    for (const [query, code, message] of cases) {
      const res = await p.request('GET', `/system/logs?${query}`)
      expect(res.status, query).toBe(code)
      expect(res.text).toMatch(message)
    }
  })
})
