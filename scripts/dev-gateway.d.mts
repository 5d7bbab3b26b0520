import type { ChildProcess, SpawnOptions } from 'node:child_process'

export function spawnDevGateway(
  options: { port: number | string; providerUrl: string; extraArgs?: string[] } & SpawnOptions,
): ChildProcess
