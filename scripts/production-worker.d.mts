export function buildBundle(options?: { config?: string; outdir?: string }): string
export function wranglerSettings(config?: string): {
  compatibilityDate: string
  compatibilityFlags: string[]
  vars: Record<string, string>
}
export function freePort(): Promise<number>
export function startWorkerd(options: {
  bundleDir: string
  vars?: Record<string, string>
  port?: number
  config?: string
  wrap?: string[]
  pollMs?: number
}): Promise<{
  url: string
  port: number
  pid: number | undefined
  spawnedAt: number
  output(): string
  close(): Promise<void>
}>
