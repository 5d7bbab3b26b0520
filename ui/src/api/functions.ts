import * as z from 'zod/mini'
import { FunctionStatus } from '../../../src/schemas/openfaas'
import type { Deployment } from '../forms/deployment'
import { jsonInit, request, withNamespace } from './http'
import { readJson } from './read'

const FunctionList = z.array(FunctionStatus)

export function listFunctions(namespace: string, signal?: AbortSignal): Promise<FunctionStatus[]> {
  return readJson(withNamespace('/system/functions', namespace), FunctionList, signal)
}

/** The provider's answer (usually empty) is returned so the portal can show it as sent. */
export async function deployFunction(deployment: Deployment): Promise<string> {
  return (await request('/system/functions', jsonInit('POST', deployment))).text()
}

export async function scaleFunction(name: string, namespace: string, replicas: number): Promise<void> {
  const body = { serviceName: name, replicas, ...(namespace ? { namespace } : {}) }
  await request(`/system/scale-function/${encodeURIComponent(name)}`, jsonInit('POST', body))
}

export async function deleteFunction(name: string, namespace: string): Promise<void> {
  const body = { functionName: name, ...(namespace ? { namespace } : {}) }
  await request('/system/functions', jsonInit('DELETE', body))
}
