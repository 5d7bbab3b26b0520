import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

// Debian's chromium: .ci/run installs it; playwright-core drives it and never downloads a browser of its own.
export const CHROMIUM = process.env.EDGEFAAS_CHROMIUM ?? '/usr/bin/chromium'

// Headless, and nothing that reaches beyond loopback: no QUIC, sync, component updates or background fetches.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set EDGEFAAS_CHROMIUM)`)
  }
  // launch() gives every browser a fresh temporary profile, removed on close.
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 })
}
