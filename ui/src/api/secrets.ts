import * as z from 'zod/mini'
import { jsonInit, request, withNamespace } from './http'
import { readJson } from './read'

// Listing gives names only; a value goes to the provider and is never read back.
const SecretList = z.array(z.object({ name: z.string(), namespace: z.optional(z.string()) }))
export type SecretName = z.infer<typeof SecretList>[number]

export function listSecrets(namespace: string, signal?: AbortSignal): Promise<SecretName[]> {
  return readJson(withNamespace('/system/secrets', namespace), SecretList, signal)
}

/** POST creates, PUT replaces the value of an existing secret. */
export async function saveSecret(
  method: 'POST' | 'PUT',
  secret: { name: string; value: string; namespace: string },
): Promise<void> {
  const { name, value, namespace } = secret
  const body = { name, value, ...(namespace ? { namespace } : {}) }
  await request(withNamespace('/system/secrets', namespace), jsonInit(method, body))
}

export async function deleteSecret(name: string, namespace: string): Promise<void> {
  const body = { name, ...(namespace ? { namespace } : {}) }
  await request(withNamespace('/system/secrets', namespace), jsonInit('DELETE', body))
}
