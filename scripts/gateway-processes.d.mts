export function gatewayConfig(options: {
  name: string
  bundleDir: string
  vars: Record<string, string>
  host?: string
}): string
export function startGatewayProcesses(options: {
  bundleDir: string
  gateways?: number
  vars?: Record<string, string>
}): Promise<{
  urls: string[]
  output(i: number): string
  kill(i: number, signal?: NodeJS.Signals): void
  close(): Promise<void>
}>
