import * as z from 'zod/mini'
import type { Config } from '../config'
import { type FunctionRef, functionKey } from '../function-ref'
import { FunctionStatus } from '../schemas/openfaas'
import { providerUrl, send } from './forward'

/** A provider call that failed: 502 when it could not be made or its answer is unusable, 504 when it hung. */
export type ProviderFault = { status: 502 | 504; message: string }

export type StatusAnswer =
  | { kind: 'found'; status: FunctionStatus }
  | { kind: 'missing' }
  | ({ kind: 'fault' } & ProviderFault)

/** What the gateway says of a provider answer it cannot read, whichever call it was: one wording. */
export const invalidAnswer = (call: string): string =>
  `the functions provider answered ${call} with invalid JSON`

// The gateway's own calls to the provider, made for scaling: nothing of a caller's request goes into
// them, they carry the gateway's credentials, and every fault is a value with a reason.

function call(config: Config, path: string, search: string, method: string, body?: string) {
  const url = providerUrl(config, { path, search })
  if (url === undefined) throw new Error(`provider path ${path} escapes its scope`)
  const headers = new Headers({ 'content-type': 'application/json' })
  if (config.credentials) headers.set('authorization', config.credentials.header)
  return send(config, url, { method, headers, body: body ?? null }, path)
}

/** What the provider says of one function now; a garbled answer is a fault, never a status. */
export async function functionStatus(config: Config, fn: FunctionRef): Promise<StatusAnswer> {
  const path = `/system/function/${fn.name}`
  const sent = await call(config, path, `?namespace=${fn.namespace}`, 'GET')
  if ('fault' in sent) return { kind: 'fault', status: sent.fault, message: sent.message }
  const { response } = sent
  if (response.status === 404) {
    await response.body?.cancel()
    return { kind: 'missing' }
  }
  if (!response.ok) {
    const text = (await bodyText(response)).trim().split('\n', 1)[0]
    return {
      kind: 'fault',
      status: 502,
      message: `the functions provider answered ${path} with ${response.status}: ${text}`,
    }
  }
  const parsed = FunctionStatus.safeParse(await response.json().catch(() => undefined))
  if (!parsed.success) return { kind: 'fault', status: 502, message: invalidAnswer(path) }
  return { kind: 'found', status: parsed.data }
}

/** Sets a function's desired replicas; undefined when the provider took it, else why not. */
export async function scaleFunction(
  config: Config,
  fn: FunctionRef,
  replicas: number,
): Promise<ProviderFault | undefined> {
  const path = `/system/scale-function/${fn.name}`
  const body = JSON.stringify({ serviceName: fn.name, namespace: fn.namespace, replicas })
  const sent = await call(config, path, '', 'POST', body)
  if ('fault' in sent) return { status: sent.fault, message: sent.message }
  const { response } = sent
  const text = (await bodyText(response)).trim().split('\n', 1)[0]
  if (response.ok) return undefined
  return {
    status: 502,
    message: `the functions provider refused to scale ${functionKey(fn)} (${response.status}): ${text}`,
  }
}

/** A short answer's text; a connection that breaks while it is read yields what the reason lost, not a throw. */
function bodyText(response: Response): Promise<string> {
  return response.text().catch(() => '')
}

/** The provider's namespaces; a provider without namespace support has only its default. */
export async function listNamespaces(config: Config): Promise<string[] | { fault: string }> {
  const sent = await call(config, '/system/namespaces', '', 'GET')
  if ('fault' in sent) return { fault: sent.message }
  const { response } = sent
  if (response.status === 404 || response.status === 501) {
    await response.body?.cancel()
    return [config.defaultNamespace]
  }
  const list = z.array(z.string()).safeParse(await response.json().catch(() => undefined))
  if (!response.ok)
    return { fault: `the functions provider answered /system/namespaces with ${response.status}` }
  if (!list.success) return { fault: invalidAnswer('/system/namespaces') }
  return list.data.length > 0 ? list.data : [config.defaultNamespace]
}

/** Every function of one namespace, as the provider reports them. */
export async function listFunctions(
  config: Config,
  namespace: string,
): Promise<FunctionStatus[] | { fault: string }> {
  const sent = await call(config, '/system/functions', `?namespace=${namespace}`, 'GET')
  if ('fault' in sent) return { fault: sent.message }
  const { response } = sent
  const list = z.array(FunctionStatus).safeParse(await response.json().catch(() => undefined))
  const what = `/system/functions?namespace=${namespace}`
  if (!response.ok) return { fault: `the functions provider answered ${what} with ${response.status}` }
  if (!list.success) return { fault: invalidAnswer(what) }
  return list.data
}
