import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  deploy,
  fixture,
  isAlive,
  pidsIn,
  type Reply,
  startTestProvider,
  type TestProvider,
  tempDir,
  waitFor,
} from './helpers.ts'

const readSecrets = fixture('read-secrets.sh')

async function secretNames(p: TestProvider, namespace?: string) {
  const res = await p.request('GET', `/system/secrets${namespace ? `?namespace=${namespace}` : ''}`)
  expect(res.status).toBe(200)
  return res.json<{ name: string; namespace: string }[]>()
}

// name=value lines from read-secrets.sh, as a map.
async function seenBy(p: TestProvider, fn: string): Promise<Record<string, string>> {
  const res = await p.request('GET', `/function/${fn}`)
  expect(res.status, res.text).toBe(200)
  return Object.fromEntries(
    res.text
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('=') as [string, string]),
  )
}

describe('secrets API', () => {
  let p: TestProvider
  beforeAll(async () => {
    p = await startTestProvider({ secretsMode: 'directory' })
    expect((await p.request('POST', '/system/namespace/team', {})).status).toBe(201)
  })

  it('creates, lists (names only), updates and deletes secrets', async () => {
    expect(
      (await p.request('POST', '/system/secrets', { name: 'api-key', value: 's3cr3t-value' })).status,
    ).toBe(201)
    const list = await p.request('GET', '/system/secrets')
    expect(list.json()).toEqual([{ name: 'api-key', namespace: 'openfaas-fn' }])
    expect(list.text).not.toContain('s3cr3t-value')

    await deploy(p, { service: 'reader', envProcess: readSecrets, secrets: ['api-key'] })
    expect(await seenBy(p, 'reader')).toEqual({ 'api-key': 's3cr3t-value' })

    expect((await p.request('PUT', '/system/secrets', { name: 'api-key', value: 'rotated' })).status).toBe(
      200,
    )
    expect(await seenBy(p, 'reader')).toEqual({ 'api-key': 'rotated' })

    expect((await p.request('DELETE', '/system/secrets', { name: 'api-key' })).status).toBe(200)
    expect(await secretNames(p)).toEqual([])
    expect(await seenBy(p, 'reader')).toEqual({})
  })

  it('decodes rawValue bytes', async () => {
    const raw = Buffer.from('raw bytes \u00e9').toString('base64')
    expect((await p.request('POST', '/system/secrets', { name: 'raw', rawValue: raw })).status).toBe(201)
    await deploy(p, { service: 'rawreader', envProcess: readSecrets, secrets: ['raw'] })
    expect(await seenBy(p, 'rawreader')).toEqual({ raw: 'raw bytes \u00e9' })
  })

  it('keeps secrets per namespace', async () => {
    await p.request('POST', '/system/secrets', { name: 'db', value: 'default-db' })
    await p.request('POST', '/system/secrets', { name: 'db', value: 'team-db', namespace: 'team' })
    await p.request('POST', '/system/secrets?namespace=team', { name: 'only-team', value: 'x' })
    expect((await secretNames(p, 'team')).map((s) => s.name)).toEqual(['db', 'only-team'])
    expect((await secretNames(p, 'team'))[0]?.namespace).toBe('team')
    await deploy(p, { service: 'dbreader', envProcess: readSecrets, secrets: ['db'] })
    await deploy(p, { service: 'dbreader', envProcess: readSecrets, secrets: ['db'], namespace: 'team' })
    expect(await seenBy(p, 'dbreader')).toEqual({ db: 'default-db' })
    expect(await seenBy(p, 'dbreader.team')).toEqual({ db: 'team-db' })
  })

  it('shows a function only the secrets it declares', async () => {
    await p.request('POST', '/system/secrets', { name: 'mine', value: '1' })
    await p.request('POST', '/system/secrets', { name: 'theirs', value: '2' })
    await deploy(p, { service: 'picky', envProcess: readSecrets, secrets: ['mine'] })
    expect(await seenBy(p, 'picky')).toEqual({ mine: '1' })
  })

  it('stores secret values with mode 0600', async () => {
    await p.request('POST', '/system/secrets', { name: 'mode-check', value: 'x' })
    expect(statSync(join(p.stateDir, 'secrets.json')).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(p.stateDir, 'secrets.json'), 'utf8')).toContain('mode-check')
    await deploy(p, { service: 'modecheck', envProcess: readSecrets, secrets: ['mode-check'] })
    const dir = join(p.stateDir, 'run', 'secrets', 'openfaas-fn', 'modecheck')
    expect(readdirSync(dir)).toEqual(['mode-check'])
    expect(statSync(join(dir, 'mode-check')).mode & 0o777).toBe(0o600)
  })

  it('refuses bad secret requests and changes nothing', async () => {
    await p.request('POST', '/system/secrets', { name: 'existing', value: 'original' })
    const before = JSON.stringify([await secretNames(p), await secretNames(p, 'team')])
    const stateBefore = readFileSync(join(p.stateDir, 'secrets.json'), 'utf8')
    const cases: [string, unknown, number, RegExp][] = [
      ['POST', { name: 'existing', value: 'again' }, 409, /already exists/],
      ['POST', { name: 'novalue' }, 400, /value or rawValue is required/],
      ['POST', { name: 'badraw', rawValue: 'not base64!' }, 400, /rawValue/],
      ['POST', { name: '../escape', value: 'x' }, 400, /name/],
      ['POST', { name: '.hidden', value: 'x' }, 400, /name/],
      ['POST', { value: 'x' }, 400, /name is required/],
      ['POST', { name: 'x', value: 42 }, 400, /value/],
      ['POST', { name: 'x', value: 'x', namespace: 'ghost' }, 400, /namespace ghost not found/],
      ['POST', '{"name": "x", ', 400, /not valid JSON/],
      ['PUT', { name: 'unknown', value: 'x' }, 404, /secret unknown not found/],
      ['DELETE', { name: 'unknown' }, 404, /secret unknown not found/],
      ['DELETE', { name: 'existing', namespace: 'team' }, 404, /not found in namespace team/],
      ['DELETE', 'nope', 400, /not valid JSON/],
    ]
    for (const [method, body, code, message] of cases) {
      const res: Reply = await p.request(method, '/system/secrets', body)
      expect(res.status, `${method} ${JSON.stringify(body)}`).toBe(code)
      expect(res.text).toMatch(message)
    }
    expect(JSON.stringify([await secretNames(p), await secretNames(p, 'team')])).toBe(before)
    expect(readFileSync(join(p.stateDir, 'secrets.json'), 'utf8')).toBe(stateBefore)
    expect((await p.request('GET', '/system/secrets?namespace=ghost')).status).toBe(404)
  })

  it('refuses to deploy a function naming a missing secret', async () => {
    const res = await p.request('POST', '/system/functions', {
      service: 'needs',
      image: 'x',
      envProcess: readSecrets,
      secrets: ['nowhere'],
    })
    expect(res.status).toBe(400)
    expect(res.text).toContain('secret nowhere not found in namespace openfaas-fn')
    expect((await p.request('GET', '/system/function/needs')).status).toBe(404)
  })
})

describe('secret files in a private mount namespace', () => {
  let p: TestProvider
  beforeAll(async () => {
    p = await startTestProvider({ secretsMode: 'auto' })
  })

  it('mounts exactly the declared secrets, read-only, at /var/openfaas/secrets', async (ctx) => {
    if (p.secretsMode !== 'namespace') ctx.skip('needs root and unshare')
    await p.request('POST', '/system/secrets', { name: 'ns-secret', value: 'mounted' })
    await p.request('POST', '/system/secrets', { name: 'other-secret', value: 'hidden' })
    await deploy(p, { service: 'mounted', envProcess: readSecrets, secrets: ['ns-secret'] })
    await deploy(p, { service: 'other', envProcess: readSecrets, secrets: ['other-secret'] })
    await deploy(p, {
      service: 'writer',
      envProcess: `${fixture('write-secret.sh')} ns-secret`,
      secrets: ['ns-secret'],
    })

    expect(await seenBy(p, 'mounted')).toEqual({ 'ns-secret': 'mounted' })
    expect(await seenBy(p, 'other')).toEqual({ 'other-secret': 'hidden' })
    expect((await p.request('GET', '/function/writer')).text.trim()).toBe('read-only')
    // The mount is private to the function's process: the host's directory is untouched.
    expect(readdirSync('/var/openfaas/secrets')).not.toContain('ns-secret')
  })

  it('still kills a timed-out process and its children', async (ctx) => {
    if (p.secretsMode !== 'namespace') ctx.skip('needs root and unshare')
    const pidDir = tempDir()
    await deploy(p, {
      service: 'nsslow',
      envProcess: fixture('slow.sh'),
      envVars: { exec_timeout: '1s', PID_DIR: pidDir },
    })
    expect((await p.request('GET', '/function/nsslow')).status).toBe(408)
    const [pids] = pidsIn(pidDir)
    expect(pids).toHaveLength(2)
    for (const pid of pids ?? []) await waitFor(() => !isAlive(pid), `process ${pid} to die`)
  })

  it('does not set secret_mount_path', async (ctx) => {
    if (p.secretsMode !== 'namespace') ctx.skip('needs root and unshare')
    await deploy(p, { service: 'envcheck', envProcess: 'env' })
    expect((await p.request('GET', '/function/envcheck')).text).not.toContain('secret_mount_path')
  })
})
