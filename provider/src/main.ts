import { configFromCli, USAGE } from './config.ts'
import { startProvider } from './provider.ts'

// `node --experimental-strip-types provider/src/main.ts`: parse the command line and environment, start
// the provider, and stop it cleanly (killing function processes) on Ctrl-C or SIGTERM.

let config: ReturnType<typeof configFromCli>
try {
  config = configFromCli(process.argv.slice(2), process.env)
} catch (error) {
  console.error(`edgefaas provider: ${(error as Error).message}\n\n${USAGE}`)
  process.exit(2)
}
if (config === 'help') {
  console.log(USAGE)
  process.exit(0)
}

const provider = await startProvider(config).catch((error: Error) => {
  console.error(`edgefaas provider: cannot start: ${error.message}`)
  process.exit(1)
})

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // A second Ctrl-C while shutting down means "now".
    if (stopping) process.exit(130)
    stopping = true
    console.log(`${signal}: stopping`)
    provider.close().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`edgefaas provider: error while stopping: ${error.message}`)
        process.exit(1)
      },
    )
  })
}
