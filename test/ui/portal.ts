import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Locator, Page, Response } from 'playwright-core'
import { expect } from 'vitest'

const SCREENSHOTS = join(import.meta.dirname, 'screenshots')
// Long enough for a replica's cold start and a couple of polls; short enough that a hang fails fast.
const WAIT_MS = 15_000

/** Waits until the locator's text matches, polling the live page as a person would watch it. */
export async function see(locator: Locator, text: string | RegExp): Promise<void> {
  await expect
    // biome-ignore lint/performance/useDomNodeTextContent: rendered text is the point: what a person sees, hidden parts left out
    .poll(async () => ((await locator.count()) > 0 ? await locator.first().innerText() : ''), {
      timeout: WAIT_MS,
      interval: 100,
    })
    .toMatch(text instanceof RegExp ? text : new RegExp(literal(text)))
}

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The portal as a user drives it: by visible labels and roles, the way a keyboard or screen reader finds them. */
export class Portal {
  readonly page: Page
  readonly gateway: string
  /** Prefix of this run's screenshot names. */
  readonly run: string

  constructor(page: Page, gateway: string, run: string) {
    this.page = page
    this.gateway = gateway
    this.run = run
  }

  async screenshot(name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true })
    await this.page.screenshot({ path: join(SCREENSHOTS, `${this.run}-${name}.png`), fullPage: true })
  }

  async open(): Promise<void> {
    await this.page.goto(`${this.gateway}/`)
    await see(this.page.getByRole('heading', { level: 2 }), 'Functions')
  }

  async nav(name: 'Functions' | 'Deploy' | 'Secrets'): Promise<void> {
    await this.page.getByRole('navigation').getByRole('link', { name, exact: true }).click()
  }

  row(name: string): Locator {
    return this.page.locator(`tr[data-function="${name}"]`)
  }

  replicas(name: string): Locator {
    return this.row(name).locator('.replicas .count')
  }

  /** Fills the deploy form; `submit` presses Deploy and returns the API's answer to it. */
  async fillDeploy(fields: {
    name: string
    image?: string
    fprocess?: string
    env?: [string, string]
    label?: [string, string]
    min?: string
    max?: string
    secret?: string
  }): Promise<void> {
    const form = this.page.locator('form.deploy')
    await form.getByLabel('Name', { exact: true }).fill(fields.name)
    await form.getByLabel('Image', { exact: true }).fill(fields.image ?? 'functions/alpine:latest')
    if (fields.fprocess) await form.getByLabel('Process (fprocess)').fill(fields.fprocess)
    if (fields.min) await form.getByLabel('Minimum replicas').fill(fields.min)
    if (fields.max) await form.getByLabel('Maximum replicas').fill(fields.max)
    if (fields.env) {
      await form.getByRole('button', { name: 'Add variable' }).click()
      await form.getByLabel('variable name 1').fill(fields.env[0])
      await form.getByLabel('variable value 1').fill(fields.env[1])
    }
    if (fields.label) {
      await form.getByRole('button', { name: 'Add label' }).click()
      await form.getByLabel('label name 1').fill(fields.label[0])
      await form.getByLabel('label value 1').fill(fields.label[1])
    }
    if (fields.secret) await form.getByRole('checkbox', { name: fields.secret }).check()
  }

  async submitDeploy(): Promise<Response> {
    const answer = this.page.waitForResponse(
      (r) =>
        r.request().method() === 'POST' &&
        new URL(r.url()).pathname === '/system/functions' &&
        r.status() !== 401,
    )
    await this.page.locator('form.deploy').getByRole('button', { name: 'Deploy', exact: true }).click()
    return answer
  }

  async invoke(body: string): Promise<Locator> {
    const panel = this.page.locator('.panel-invoke')
    await panel.getByLabel('Body').fill(body)
    await panel.getByRole('button', { name: 'Invoke', exact: true }).click()
    return panel.locator('.result')
  }

  /** Sets the replicas, presses Scale and confirms in the dialog. */
  async scale(replicas: number): Promise<void> {
    const panel = this.page.locator('.panel-scale')
    await panel.getByLabel('Replicas', { exact: true }).fill(String(replicas))
    await panel.getByRole('button', { name: 'Scale', exact: true }).click()
    const dialog = this.page.getByRole('dialog')
    await dialog.getByRole('button', { name: `Scale to ${replicas}` }).click()
    await dialog.waitFor({ state: 'hidden' })
  }
}
