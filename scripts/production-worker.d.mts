export function buildBundle(options?: { config?: string; outdir?: string; minify?: boolean }): string
export function wranglerSettings(config?: string): {
  compatibilityDate: string
  compatibilityFlags: string[]
  vars: Record<string, string>
  durableObjects: { name: string; className: string }[]
  sqliteClasses: string[]
}
export function freePort(): Promise<number>
export function startWorkerd(options: {
  bundleDir: string
  vars?: Record<string, string>
  port?: number
  config?: string
  wrap?: string[]
  args?: string[]
  pollMs?: number
  storageDir?: string
  /** Gateway Workers sharing the Durable Objects, each its own isolate on its own port (default 1). */
  gateways?: number
}): Promise<{
  url: string
  /** One per gateway; `url` is the first. */
  urls: string[]
  port: number
  pid: number | undefined
  spawnedAt: number
  output(): string
  close(signal?: NodeJS.Signals): Promise<void>
}>
