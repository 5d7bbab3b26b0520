import * as z from 'zod/mini'
import { describeIssues } from '../../../src/schemas/issues'
import { request } from './http'

/**
 * GET a JSON answer and check it against the OpenFaaS type the gateway also
 * uses, so a provider that answers something else is named, not rendered as blanks.
 */
export async function readJson<T>(path: string, schema: z.ZodMiniType<T>, signal?: AbortSignal): Promise<T> {
  const response = await request(path, signal ? { signal } : {})
  const parsed = schema.safeParse(await response.json())
  if (!parsed.success) throw new Error(`unexpected answer from ${path}: ${describeIssues(parsed.error)}`)
  return parsed.data
}

export const stringList = z.array(z.string())
