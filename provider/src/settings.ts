import { parseDuration } from '../../src/duration.ts'
import { badRequest } from './errors.ts'
import type { FunctionSpec } from './schemas.ts'

// The knobs a function sets through its labels, annotations and envVars, read and validated once per
// deploy or update so a bad value is a 400 then instead of a surprise on the first invocation.
export type FunctionSettings = {
  // 0 means no limit, as in the classic watchdog.
  execTimeoutMs: number
  // Per replica; Infinity when unset or 0.
  maxInflight: number
  minReplicas: number
  // `classic`: one process per request; `http` (of-watchdog's mode=http): a long-running server per replica.
  mode: 'classic' | 'http'
  // HTTP mode: the port upstream_url names, which only one replica can listen on; undefined means each
  // replica gets a free port of its own.
  upstreamPort: number | undefined
  upstreamHost: string
  // HTTP mode: the path a replica must answer 2xx on before it counts as ready; without it, ready means
  // the port accepts connections.
  readyPath: string | undefined
  // HTTP mode: how long a replica has after SIGTERM before it is killed.
  writeTimeoutMs: number
}

export const DEFAULT_EXEC_TIMEOUT_MS = 30_000
export const DEFAULT_WRITE_TIMEOUT_MS = 10_000
const MIN_REPLICAS_LABEL = 'com.openfaas.scale.min'
const READY_PATH_ANNOTATION = 'com.openfaas.ready.http.path'
// Loopback only, as the provider itself: a function's server must be one this machine runs.
const UPSTREAM_URL = /^http:\/\/(127\.0\.0\.1|localhost):(\d{1,5})\/?$/

export function readSettings(spec: FunctionSpec): FunctionSettings {
  // The classic watchdog reads exec_timeout from its environment; a label is accepted too.
  const timeout = spec.envVars?.exec_timeout ?? spec.labels?.exec_timeout
  const execTimeoutMs = timeout === undefined ? DEFAULT_EXEC_TIMEOUT_MS : parseDuration(timeout)
  if (execTimeoutMs === undefined) {
    throw badRequest(`invalid exec_timeout "${timeout}": use a Go duration such as 2s or 500ms, or seconds`)
  }
  const inflight = spec.envVars?.max_inflight
  const maxInflight = inflight === undefined ? 0 : wholeNumber(inflight)
  if (maxInflight === undefined)
    throw badRequest(`invalid max_inflight "${inflight}": must be a whole number`)
  const min = spec.labels?.[MIN_REPLICAS_LABEL]
  const minReplicas = min === undefined ? 1 : wholeNumber(min)
  if (minReplicas === undefined || minReplicas > 1000) {
    throw badRequest(`invalid label ${MIN_REPLICAS_LABEL} "${min}": must be a whole number from 0 to 1000`)
  }
  const settings: FunctionSettings = {
    execTimeoutMs,
    maxInflight: maxInflight === 0 ? Number.POSITIVE_INFINITY : maxInflight,
    minReplicas,
    mode: readMode(spec.envVars?.mode),
    upstreamPort: undefined,
    upstreamHost: '127.0.0.1',
    readyPath: undefined,
    writeTimeoutMs: DEFAULT_WRITE_TIMEOUT_MS,
  }
  return settings.mode === 'http' ? readHttpMode(spec, settings) : settings
}

// Only mode=http changes the process model; any other value (of-watchdog's serializing mode is the
// classic watchdog's model anyway) keeps the classic one, as the provider always did.
function readMode(mode: string | undefined): FunctionSettings['mode'] {
  return mode === 'http' ? 'http' : 'classic'
}

function readHttpMode(spec: FunctionSpec, settings: FunctionSettings): FunctionSettings {
  if ((spec.envProcess ?? '').trim() === '') {
    throw badRequest(
      `function ${spec.name} has mode=http but no envProcess: name the command that starts its server`,
    )
  }
  const url = spec.envVars?.upstream_url
  const match = url === undefined ? undefined : UPSTREAM_URL.exec(url.trim())
  const port = match ? Number(match[2]) : undefined
  if (url !== undefined && (port === undefined || port < 1 || port > 65_535)) {
    throw badRequest(
      `invalid upstream_url "${url}": must be http://127.0.0.1:<port> or http://localhost:<port> with a ` +
        'port from 1 to 65535 (the function runs on this machine), or left out for a free port per replica',
    )
  }
  const write = spec.envVars?.write_timeout
  const writeTimeoutMs = write === undefined ? DEFAULT_WRITE_TIMEOUT_MS : parseDuration(write)
  if (writeTimeoutMs === undefined) {
    throw badRequest(`invalid write_timeout "${write}": use a Go duration such as 10s or 500ms, or seconds`)
  }
  const readyPath = spec.annotations?.[READY_PATH_ANNOTATION]
  if (readyPath !== undefined && !readyPath.startsWith('/')) {
    throw badRequest(
      `invalid annotation ${READY_PATH_ANNOTATION} "${readyPath}": must be a path starting with /`,
    )
  }
  return {
    ...settings,
    upstreamPort: port,
    upstreamHost: match?.[1] ?? '127.0.0.1',
    readyPath,
    writeTimeoutMs,
  }
}

function wholeNumber(value: string): number | undefined {
  return /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : undefined
}
