import { importJWK, SignJWT } from 'jose'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Stack, startStack } from '../e2e/stack'
import { startIdentity } from '../upstream/identity'
import { launchChromium } from './browser'
import { Portal, see } from './portal'

// The portal in front of a gateway with JWT auth on and basic auth off: its files are public, every call
// it makes carries the token pasted into it, and what it shows is what that token may read.

const AUDIENCE = 'edgefaas-portal'
const POLICIES = {
  roles: [
    {
      name: 'echo-readers',
      match: { claim: 'groups', value: 'echo-readers' },
      allow: [{ actions: ['Function:Read', 'Function:Invoke'], resources: ['openfaas-fn:echo'] }],
    },
    {
      name: 'admins',
      match: { claim: 'groups', value: 'admins' },
      allow: [{ actions: ['System:Admin'], resources: ['*:*'] }],
    },
  ],
}
// The gateway's 60 s of leeway, which a token that expires mid-session has to outlast.
const LEEWAY_S = 60

describe('the portal with a pasted access token', () => {
  let identity: Awaited<ReturnType<typeof startIdentity>>
  let stack: Stack
  let browser: Browser
  let page: Page
  let portal: Portal
  const errors: string[] = []
  /** The Authorization header of each call the page made to /system/*, in order. */
  const sent: (string | undefined)[] = []

  const now = () => Math.floor(Date.now() / 1000)
  /** A token from the test issuer for `sub` alice in `groups`, expiring `expiresIn` seconds from now. */
  const token = async (groups: string[], expiresIn = 600) =>
    new SignJWT({ groups })
      .setProtectedHeader({ alg: 'RS256', kid: identity.keys.rs256.kid as string })
      .setIssuer(identity.url)
      .setAudience(AUDIENCE)
      .setSubject('alice')
      .setIssuedAt(now() - LEEWAY_S)
      .setExpirationTime(now() + expiresIn)
      .sign(await importJWK(identity.keys.rs256, 'RS256'))
  const api = (path: string, bearer: string, init: RequestInit = {}) =>
    fetch(`${stack.gateway}${path}`, { ...init, headers: { authorization: `Bearer ${bearer}` } })

  const signInPanel = () => page.locator('form.sign-in')
  async function signIn(pasted: string): Promise<void> {
    await page.getByLabel('Access token', { exact: true }).fill(pasted)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  }
  /** Nothing of `pasted` (nor its signature alone) in the page's storage, cookies, URL or DOM. */
  async function leftNoTrace(pasted: string): Promise<void> {
    // The page's own code, in the browser: everything it could have kept the token in.
    const kept = await page.evaluate<Record<string, string>>(`({
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
      cookie: document.cookie,
      url: location.href,
      history: JSON.stringify(history.state),
      html: document.documentElement.outerHTML,
    })`)
    const signature = pasted.split('.')[2] as string
    for (const [where, text] of Object.entries(kept)) {
      expect(text, where).not.toContain(pasted)
      expect(text, where).not.toContain(signature)
    }
    expect(kept.local).toBe('{}')
    expect(kept.session).toBe('{}')
    expect(kept.cookie).toBe('')
  }

  beforeAll(async () => {
    identity = await startIdentity()
    const vars = {
      BASIC_AUTH: 'false',
      AUTH_JWT_ISSUER: identity.url,
      AUTH_JWT_AUDIENCE: AUDIENCE,
      AUTH_POLICIES: JSON.stringify(POLICIES),
      // Invocations need a token too, so the portal's own calls to a function show it sends one.
      AUTH_INVOCATIONS: 'required',
    }
    const args = Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`])
    ;[stack, browser] = await Promise.all([startStack({ args }), launchChromium()])
    // Two functions, deployed by an admin; the reader may see only echo.
    const admin = await token(['admins'])
    for (const [service, envProcess] of [
      ['echo', 'cat'],
      ['other', 'wc'],
    ]) {
      const deployed = await api('/system/functions', admin, {
        method: 'POST',
        body: JSON.stringify({ service, image: 'functions/alpine:latest', envProcess }),
      })
      expect(deployed.status, await deployed.text()).toBe(202)
    }
    const context = await browser.newContext({ viewport: { width: 1300, height: 900 }, colorScheme: 'light' })
    page = await context.newPage()
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/system/')) sent.push(r.headers().authorization)
    })
    portal = new Portal(page, stack.gateway, 'token')
  }, 90_000)

  afterAll(async () => {
    await browser?.close()
    stack?.stop()
    await identity?.close()
  })

  it('opens on the sign-in panel: the files are public, the API wants a token', async () => {
    const challenge = await fetch(`${stack.gateway}/system/functions`)
    expect(challenge.status).toBe(401)
    expect(challenge.headers.get('www-authenticate')).toMatch(/^Bearer /)
    await page.goto(`${stack.gateway}/`)
    await see(page.getByRole('heading', { level: 2 }), 'Sign in')
    await expect.poll(() => signInPanel().count()).toBe(1)
    // A first visit is no refusal: nothing was sent to refuse.
    expect(await signInPanel().locator('[role="alert"]').count()).toBe(0)
    expect(await page.getByRole('navigation').count()).toBe(0)
    expect(sent.length).toBeGreaterThan(0)
    expect(sent.every((header) => header === undefined)).toBe(true)
    await portal.screenshot('sign-in')
  })

  it("shows a refused token's 401 with the gateway's reason, and asks again", async () => {
    await signIn('not-a-jwt')
    const alert = signInPanel().locator('[role="alert"]')
    await see(alert, '401')
    const refused = await api('/system/namespaces', 'not-a-jwt')
    expect(refused.status).toBe(401)
    const reason = await refused.text()
    expect(reason).toBe('the token is not a well-formed JWT\n')
    expect(await alert.locator('.error-message').textContent()).toBe(reason)
    expect(await page.getByLabel('Access token', { exact: true }).inputValue()).toBe('')
    expect(sent).toContain('Bearer not-a-jwt')
  })

  it('signs in with a reader token, sends it on every call and lists only what it may read', async () => {
    const reader = await token(['echo-readers'])
    sent.length = 0
    await signIn(reader)
    await see(page.getByRole('heading', { level: 2, name: 'Functions' }), 'Functions')
    await see(portal.row('echo'), 'echo')
    // Both exist; the gateway lists only echo to this token, and so does the portal.
    expect(await portal.row('other').count()).toBe(0)
    const all = (await (await api('/system/functions', await token(['admins']))).json()) as { name: string }[]
    expect(all.map((fn) => fn.name).sort()).toEqual(['echo', 'other'])
    expect(sent.length).toBeGreaterThan(0)
    expect(sent.every((header) => header === `Bearer ${reader}`)).toBe(true)
    await leftNoTrace(reader)
    await portal.screenshot('signed-in')
  })

  it('invokes a function whose invocations need a token', async () => {
    await portal.row('echo').getByRole('link', { name: 'echo' }).click()
    const called = page.waitForRequest((r) => new URL(r.url()).pathname === '/function/echo.openfaas-fn')
    const result = await portal.invoke('hello token')
    expect((await called).headers().authorization).toMatch(/^Bearer /)
    await see(result.locator('[data-status]'), '200')
    await see(result.locator('pre.body'), 'hello token')
  })

  it("shows the gateway's 403 where a delete the token may not do failed", async () => {
    await page.getByRole('button', { name: 'Delete function' }).click()
    const dialog = page.getByRole('dialog')
    const answer = page.waitForResponse(
      (r) => r.request().method() === 'DELETE' && new URL(r.url()).pathname === '/system/functions',
    )
    await dialog.getByRole('button', { name: 'Delete echo' }).click()
    expect((await answer).status()).toBe(403)
    const alert = dialog.locator('[role="alert"]')
    await see(alert, '403')
    expect(await alert.locator('.error-message').textContent()).toBe(
      'alice may not Function:Admin on openfaas-fn:echo\n',
    )
    await portal.screenshot('delete-forbidden')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    // Still signed in, and echo is still there.
    await see(portal.row('echo'), 'echo')
  })

  it("shows the gateway's 403 where a deployment the token may not make failed", async () => {
    await portal.nav('Deploy')
    await portal.fillDeploy({ name: 'mine', fprocess: 'cat' })
    const answer = await portal.submitDeploy()
    expect(answer.status()).toBe(403)
    const alert = page.locator('form.deploy [role="alert"]', { hasText: 'Function:Admin' })
    await see(alert, '403')
    expect(await alert.locator('.error-message').textContent()).toBe(
      'alice may not Function:Admin on openfaas-fn:mine\n',
    )
    expect(await signInPanel().count()).toBe(0)
    await portal.screenshot('deploy-forbidden')
  })

  it('signs out: back to the sign-in panel, and the next calls carry no token', async () => {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click()
    await see(page.getByRole('heading', { level: 2 }), 'Sign in')
    expect(await signInPanel().locator('[role="alert"]').count()).toBe(0)
    expect(await page.getByLabel('Access token', { exact: true }).inputValue()).toBe('')
    // The panel stays: nothing polls behind it.
    sent.length = 0
    await page.waitForTimeout(2500)
    expect(sent).toEqual([])
  })

  it('forgets the token on a reload', async () => {
    const reader = await token(['echo-readers'])
    await signIn(reader)
    // Signing in returns to where the portal was: the deploy form, last.
    await see(page.getByRole('heading', { level: 2 }), 'Deploy a function')
    await portal.nav('Functions')
    await see(portal.row('echo'), 'echo')
    sent.length = 0
    await page.reload()
    await see(page.getByRole('heading', { level: 2 }), 'Sign in')
    expect(sent.length).toBeGreaterThan(0)
    expect(sent.every((header) => header === undefined)).toBe(true)
    await leftNoTrace(reader)
  })

  it('asks again, with the reason, when the token expires while signed in', async () => {
    // Valid for about ten more seconds, the gateway's leeway included.
    const expiring = await token(['echo-readers'], 10 - LEEWAY_S)
    await signIn(expiring)
    await see(portal.row('echo'), 'echo')
    const alert = signInPanel().locator('[role="alert"]')
    await expect
      .poll(
        async () => ((await alert.count()) > 0 ? await alert.locator('.error-message').textContent() : ''),
        {
          timeout: 30_000,
          interval: 250,
        },
      )
      .toBe('the token has expired\n')
    await see(alert, '401')
    expect(await page.getByRole('navigation').count()).toBe(0)
    await portal.screenshot('expired')
  }, 45_000)

  it('ran without a script error', () => {
    expect(errors).toEqual([])
  })
})
