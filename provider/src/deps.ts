import type { Functions } from './functions.ts'
import type { ProviderInfo } from './info.ts'
import type { Logs } from './logs.ts'
import type { Namespaces } from './namespaces.ts'
import type { Sandbox } from './sandbox.ts'
import type { Secrets } from './secrets.ts'
import type { ProcessTable } from './watchdog.ts'

// What every route group is built from. Its own module, so routes and the app that mounts them both
// import it and imports point one way: app.ts -> routes -> deps.ts.
export type AppDeps = {
  defaultNamespace: string
  info: ProviderInfo
  functions: Functions
  namespaces: Namespaces
  secrets: Secrets
  logs: Logs
  processes: ProcessTable
  sandbox: Sandbox
  persistState: () => Promise<void>
  persistSecrets: () => Promise<void>
  log: (line: string) => void
}
