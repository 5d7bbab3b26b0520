#!/usr/bin/env node
// `npm start`: the dev provider and the gateway (wrangler dev) pointed at it,
// both on 127.0.0.1. One Ctrl-C stops both; if either stops, so does the other.
// Arguments go to wrangler dev: `npm start -- --var BASIC_AUTH:true --var BASIC_AUTH_USER:admin …`.
// Cron does not fire under wrangler dev: --test-scheduled makes /__scheduled a cron event (scheduled functions).
import { spawn } from 'node:child_process'
import { spawnDevGateway } from './dev-gateway.mjs'

const gatewayPort = process.env.EDGEFAAS_GATEWAY_PORT ?? '8080'
const providerPort = process.env.EDGEFAAS_PROVIDER_PORT ?? '8081'

const children = [
  spawn(process.execPath, ['provider/src/main.ts'], {
    stdio: 'inherit',
    env: { ...process.env, PORT: providerPort },
  }),
  spawnDevGateway({
    port: gatewayPort,
    providerUrl: `http://127.0.0.1:${providerPort}`,
    extraArgs: ['--test-scheduled', ...process.argv.slice(2)],
    stdio: 'inherit',
  }),
]

let stopping = false
function stop(code) {
  if (stopping) return
  stopping = true
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
  process.exitCode = code
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stop(0))
for (const child of children) child.on('exit', (code) => stop(code ?? 0))
