import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueText } from '../../src/schemas/issues'
import { FunctionDeployment } from '../../src/schemas/openfaas'
import { type Stack, startStack } from '../e2e/stack'
import { launchChromium } from './browser'
import { Portal, see } from './portal'

export type FlowOptions = {
  /** Names this run's screenshots. */
  run: string
  credentials?: { username: string; password: string }
}

const SECRET = 'api-key'
// A replica takes this long to become ready, so "starting" is on screen long enough to be seen.
const COLD_START_MS = 1000

/**
 * The portal end to end in a real Chromium against `npm start`: every screen
 * a user goes through, in the order a user would, each step asserting what
 * the page shows and, where it matters, what the API answered.
 */
export function portalFlow({ run, credentials }: FlowOptions): void {
  let stack: Stack
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let portal: Portal
  const errors: string[] = []

  /** The API from outside the page, as another client (faas-cli, curl) would change things. */
  const api = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers)
    if (credentials) {
      headers.set('authorization', `Basic ${btoa(`${credentials.username}:${credentials.password}`)}`)
    }
    return fetch(`${stack.gateway}${path}`, { ...init, headers })
  }

  beforeAll(async () => {
    const args = credentials
      ? ['--var', 'BASIC_AUTH:true', '--var', `BASIC_AUTH_USER:${credentials.username}`]
      : []
    if (credentials) args.push('--var', `BASIC_AUTH_PASSWORD:${credentials.password}`)
    ;[stack, browser] = await Promise.all([
      startStack({ args, coldStartMs: COLD_START_MS }),
      launchChromium(),
    ])
    context = await browser.newContext({
      viewport: { width: 1300, height: 900 },
      colorScheme: 'light',
      ...(credentials ? { httpCredentials: credentials } : {}),
    })
    page = await context.newPage()
    page.on('pageerror', (error) => errors.push(error.message))
    portal = new Portal(page, stack.gateway, run)
  }, 90_000)

  afterAll(async () => {
    await browser?.close()
    stack?.stop()
  })

  describe(`the portal${credentials ? ' behind basic auth' : ''}`, () => {
    it('opens at / on the default namespace with no functions', async () => {
      await portal.open()
      expect(page.url()).toMatch(/\/ui\/(#.*)?$/)
      expect(await page.getByLabel('Namespace', { exact: true }).inputValue()).toBe('openfaas-fn')
      await see(page.locator('main'), 'No functions in this namespace')
      await portal.screenshot('functions-empty')
    })

    if (credentials) {
      it('guards every file of the portal until the browser sends credentials', async () => {
        const html = await (await api('/ui/')).text()
        const assets = [...html.matchAll(/(?:src|href)="(\/ui\/assets\/[^"]+)"/g)].map((m) => m[1] as string)
        expect(assets).toHaveLength(2)
        // Every spelling a browser or a script might try, wrangler dev's asset routing included.
        const paths = [
          '/ui/',
          '/ui',
          '/ui/index.html',
          '/index.html',
          ...assets,
          ...assets.map((a) => a.slice(3)),
        ]
        for (const path of paths) {
          const res = await fetch(`${stack.gateway}${path}`, { redirect: 'manual' })
          expect(res.status, path).toBe(401)
          expect(res.headers.get('www-authenticate'), path).toBe('Basic realm="Restricted"')
        }
        for (const path of assets) expect((await api(path)).status, path).toBe(200)
      })
    }

    it("refuses a bad deployment in the browser with the API's own words, sending nothing", async () => {
      await portal.nav('Deploy')
      const posts: string[] = []
      page.on('request', (r) => {
        if (r.method() === 'POST') posts.push(r.url())
      })
      const name = page.getByLabel('Name', { exact: true })
      await name.fill('Bad_Name')
      await page.getByLabel('Image', { exact: true }).fill('functions/alpine:latest')
      // Enter in a field submits, as in any form.
      await name.press('Enter')
      const parsed = FunctionDeployment.safeParse({ service: 'Bad_Name', image: 'x' }, { reportInput: true })
      const rule = parsed.success ? '' : issueText(parsed.error.issues[0] as never)
      expect(rule).toMatch(/^service must be a DNS-1123 label/)
      await see(page.locator('#deploy-service-error'), rule)
      expect(await name.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true)
      expect(posts).toEqual([])
      // The gateway refuses the same body with the same rule.
      const refused = await api('/system/functions', {
        method: 'POST',
        body: JSON.stringify({ service: 'Bad_Name', image: 'x' }),
      })
      expect(refused.status).toBe(400)
      expect(await refused.text()).toBe(`invalid FunctionDeployment: ${rule}\n`)
      await portal.screenshot('deploy-invalid')
    })

    it('creates a secret and never shows its value back', async () => {
      await portal.nav('Secrets')
      await page.getByLabel('Name', { exact: true }).fill(SECRET)
      await page.getByLabel('Value', { exact: true }).fill('first-value')
      await page.getByRole('button', { name: 'Create secret' }).click()
      await see(page.locator(`li[data-secret="${SECRET}"]`), SECRET)
      expect(await page.getByLabel('Value', { exact: true }).inputValue()).toBe('')
      expect(await page.content()).not.toContain('first-value')
      await portal.screenshot('secrets')
    })

    it('deploys wc through the form and shows it starting, then ready', async () => {
      await portal.nav('Deploy')
      await portal.fillDeploy({
        name: 'wc',
        fprocess: 'wc',
        env: ['mode', 'test'],
        label: ['team', 'edge'],
        min: '1',
        max: '3',
      })
      await portal.screenshot('deploy-form')
      const answer = await portal.submitDeploy()
      expect(answer.status()).toBe(202)
      await see(page.getByRole('heading', { level: 2, name: 'wc' }), 'wc')
      expect(new URL(page.url()).hash).toBe('#/functions/wc?ns=openfaas-fn')
      await see(portal.replicas('wc'), '1/1')
      await see(portal.row('wc'), 'team=edge')
      await see(portal.row('wc'), 'com.openfaas.scale.max=3')
      const status = (await (await api('/system/function/wc')).json()) as Record<string, unknown>
      expect(status.envVars).toEqual({ mode: 'test' })
      expect(status.labels).toEqual({
        team: 'edge',
        'com.openfaas.scale.min': '1',
        'com.openfaas.scale.max': '3',
        // The provider's own label, as faas-netes and faasd report it.
        faas_function: 'wc',
      })
    })

    it("shows the API's refusal verbatim", async () => {
      await portal.nav('Deploy')
      await portal.fillDeploy({ name: 'wc', fprocess: 'wc' })
      const answer = await portal.submitDeploy()
      expect(answer.status()).toBe(409)
      const body = await answer.text()
      expect(body).toMatch(/already exists/)
      const alert = page.locator('form.deploy [role="alert"]')
      await see(alert, '409')
      expect(await alert.locator('.error-message').textContent()).toBe(body)
      await portal.screenshot('deploy-refused')
    })

    it('invokes wc and shows its output, status, duration and call id', async () => {
      await portal.nav('Functions')
      await portal.row('wc').getByRole('link', { name: 'wc' }).click()
      const answer = page.waitForResponse((r) =>
        new URL(r.url()).pathname.endsWith('/function/wc.openfaas-fn'),
      )
      const result = await portal.invoke('hello edge world')
      const response = await answer
      await see(result.locator('[data-status]'), '200')
      expect(((await result.locator('pre.body').textContent()) ?? '').trim().split(/\s+/)).toEqual([
        '0',
        '3',
        '16',
      ])
      expect(await result.locator('.call-id').textContent()).toBe(response.headers()['x-call-id'])
      await see(result, / ms|\d s/)
      // Where the time went, from the gateway's Server-Timing, and the trace the call log names.
      for (const name of ['gateway', 'upstream'])
        await see(result.locator(`[data-timing="${name}"]`), new RegExp(`^${name} \\d+ ms$`))
      expect(await result.locator('[data-timing="wake"]').count()).toBe(0)
      expect(await result.locator('.trace-id').textContent()).toBe(
        response.headers().traceparent?.split('-')[1],
      )
      await see(portal.row('wc').locator('[data-invocations]'), '1')
      await portal.screenshot('invoked')
    })

    it('follows the log and shows a new line as it arrives', async () => {
      const panel = page.locator('.panel-logs')
      await panel.getByRole('button', { name: 'Follow logs' }).click()
      const log = page.getByRole('log')
      await see(log, 'Forking fprocess.')
      const before = await log.locator('li', { hasText: 'Wrote' }).count()
      await portal.invoke('one more line')
      await expect
        .poll(() => log.locator('li', { hasText: 'Wrote' }).count(), { timeout: 15_000 })
        .toBe(before + 1)
      await portal.screenshot('logs')
      await panel.getByRole('button', { name: 'Stop following' }).click()
    })

    it('scales to zero and back, asking first, and shows replicas change live', async () => {
      // Escape answers no: the dialog closes and nothing is sent.
      await page.locator('.panel-scale').getByRole('button', { name: 'Scale', exact: true }).click()
      await page.keyboard.press('Escape')
      await page.getByRole('dialog').waitFor({ state: 'hidden' })

      await portal.scale(0)
      await see(portal.replicas('wc'), '0/0')
      await see(portal.row('wc'), 'scaled to zero')
      await portal.screenshot('scaled-to-zero')
      await portal.scale(1)
      await see(portal.row('wc'), 'starting')
      await see(portal.replicas('wc'), '1/1')
      // Another client scales it: the page follows without a reload.
      const scaled = await api('/system/scale-function/wc', {
        method: 'POST',
        body: JSON.stringify({ serviceName: 'wc', replicas: 2 }),
      })
      expect(scaled.status).toBe(202)
      await see(portal.replicas('wc'), '2/2')
    })

    it('shows a cold start when an invocation wakes the function from zero', async () => {
      const scaled = await api('/system/scale-function/wc', {
        method: 'POST',
        body: JSON.stringify({ serviceName: 'wc', replicas: 0 }),
      })
      expect(scaled.status).toBe(202)
      await see(portal.replicas('wc'), '0/0')
      const result = await portal.invoke('wake')
      await see(result.locator('[data-status]'), '200')
      await see(result.locator('.cold-start'), /^cold start \(\d+(\.\d+)? s\)$/)
      await see(result.locator('[data-timing="wake"]'), /^wake \d+(\.\d+)? (ms|s)$/)
      await see(portal.replicas('wc'), '1/1')
      await portal.screenshot('cold-start')
    })

    it("charts the function's traffic live from /metrics", async () => {
      const panel = page.locator('.panel-metrics')
      for (let i = 0; i < 6; i++) await api('/function/wc', { method: 'POST', body: `${i}` })
      // The panel reads /metrics every two seconds; a rate needs two readings that differ.
      await expect
        .poll(
          async () => Number(/Requests: ([\d.]+) req\/s/.exec((await panel.textContent()) ?? '')?.[1] ?? 0),
          {
            timeout: 20_000,
          },
        )
        .toBeGreaterThan(0)
      await see(panel, /Replicas \(desired\): \d+/)
      expect(await panel.locator('svg[role="img"]').count()).toBe(3)
      // The replica sync runs every SYNC_INTERVAL while there is traffic, and the autoscaler with it.
      await expect
        .poll(async () => (await panel.locator('[data-autoscaler]').textContent()) ?? '', { timeout: 20_000 })
        .toMatch(/^Autoscaler \(rps\): load /)
      await portal.screenshot('traffic')
    })

    it('reads like a phone app on a narrow screen', async () => {
      await page.setViewportSize({ width: 390, height: 844 })
      // The table's header row gives way to a label beside each value.
      await page.locator('table.functions thead').waitFor({ state: 'hidden' })
      // The page's own code, in the browser: how far the content sticks out sideways.
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')
      expect(overflow).toBeLessThanOrEqual(0)
      await portal.screenshot('phone')
      await page.setViewportSize({ width: 1300, height: 900 })
    })

    it('deploys a function that reads the secret, and sees a new value after an update', async () => {
      await portal.nav('Deploy')
      await portal.fillDeploy({
        name: 'reader',
        fprocess: `cat /var/openfaas/secrets/${SECRET}`,
        secret: SECRET,
      })
      expect((await portal.submitDeploy()).status()).toBe(202)
      await see(portal.replicas('reader'), '1/1')
      await see(await portal.invoke(''), 'first-value')

      await portal.nav('Secrets')
      await page.getByRole('button', { name: `Update ${SECRET}` }).click()
      await page.getByLabel(`New value for ${SECRET}`).fill('second-value')
      await page.getByRole('button', { name: 'Save value' }).click()
      await page.getByRole('button', { name: `Update ${SECRET}` }).waitFor()
      expect(await page.content()).not.toContain('second-value')

      await portal.nav('Functions')
      await portal.row('reader').getByRole('link', { name: 'reader' }).click()
      await see(await portal.invoke(''), 'second-value')
    })

    it("shows a scheduled function's schedule and its next run on its page", async () => {
      const deployed = await api('/system/functions', {
        method: 'POST',
        body: JSON.stringify({
          service: 'ticker',
          image: 'functions/alpine:latest',
          envProcess: 'wc',
          annotations: { topic: 'cron-function', schedule: '*/5 * * * *' },
        }),
      })
      expect(deployed.status).toBe(202)
      // wrangler dev's cron event: its replica sync hands the schedule to the scheduler.
      expect((await fetch(`${stack.gateway}/__scheduled?cron=*+*+*+*+*`)).status).toBe(200)
      await portal.nav('Functions')
      await portal.row('ticker').getByRole('link', { name: 'ticker' }).click()
      const row = page.locator('dl.summary div').filter({ has: page.getByText('Schedule', { exact: true }) })
      await see(row, /\*\/5 \* \* \* \* · next run/)
      const next = await row.locator('time').getAttribute('datetime')
      expect(Date.parse(next ?? '') % (5 * 60_000)).toBe(0)
      expect(Date.parse(next ?? '')).toBeGreaterThan(Date.now())
      await portal.screenshot('schedule')
      expect(
        (
          await api('/system/functions', {
            method: 'DELETE',
            body: JSON.stringify({ functionName: 'ticker' }),
          })
        ).status,
      ).toBe(202)
    })

    it('deletes the secret and both functions after confirmation', async () => {
      await portal.nav('Secrets')
      await page.getByRole('button', { name: `Delete ${SECRET}` }).click()
      await portal.screenshot('confirm-delete-secret')
      await page.getByRole('dialog').getByRole('button', { name: 'Delete secret' }).click()
      await see(page.locator('main'), 'No secrets in this namespace')

      await portal.nav('Functions')
      for (const name of ['reader', 'wc']) {
        await portal.row(name).getByRole('link', { name }).click()
        await page.getByRole('button', { name: 'Delete function' }).click()
        await page
          .getByRole('dialog')
          .getByRole('button', { name: `Delete ${name}` })
          .click()
        await expect.poll(() => portal.row(name).count(), { timeout: 15_000 }).toBe(0)
      }
      expect(await (await api('/system/functions')).json()).toEqual([])
      await see(page.locator('main'), 'No functions in this namespace')
    })

    it('ran without a script error', () => {
      expect(errors).toEqual([])
    })
  })
}
