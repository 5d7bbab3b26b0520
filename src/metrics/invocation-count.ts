import * as z from 'zod/mini'
import type { Config } from '../config'
import type { Bindings } from '../env'
import { invalidAnswer } from '../forward/provider-api'
import { functionKey, functionRef } from '../function-ref'
import { plainText } from '../http/responses'
import { invocationCount, readCounts } from './read'

// Only what filling the count needs; every other field passes as the provider sent it.
const Status = z.looseObject({ name: z.string(), namespace: z.optional(z.nullable(z.string())) })
type Status = z.infer<typeof Status>
const List = z.array(Status)

/**
 * A provider's function status (a list, or one) with
 * `invocationCount` taken from the gateway's own counts, as the OpenFaaS
 * gateway fills it; everything else stays as the provider sent it. An answer
 * that is not a status (or a list of them), garbled or cut short, is a 502
 * naming the call, never passed on as if it were one. When the counts cannot
 * be read, the provider's answer passes unchanged rather than failing the call.
 */
export async function withInvocationCounts(
  env: Bindings,
  config: Config,
  response: Response,
  answer: { call: string; list: boolean; keep?: (status: { name: string; namespace: string }) => boolean },
): Promise<Response> {
  if (!response.ok) return response
  // A body that breaks off while it is read is as unusable as one that does not parse.
  const text = await response.text().catch(() => undefined)
  let value: unknown
  try {
    value = text === undefined ? undefined : JSON.parse(text)
  } catch {}
  const statuses = (answer.list ? List : Status).safeParse(value)
  if (!statuses.success) return plainText(502, invalidAnswer(answer.call))
  const keep = answer.keep
  // A list is cut to what the caller may see (scoped access) before anything else is done with it.
  if (answer.list && keep)
    value = (value as Status[]).filter((s) => keep({ name: s.name, namespace: s.namespace ?? '' }))
  let counts: Awaited<ReturnType<typeof readCounts>>['counts']
  try {
    ;({ counts } = await readCounts(env))
  } catch (error) {
    console.warn('invocationCount: cannot read the metrics shards:', String(error))
    return keep ? answerWith(response, value) : new Response(text, response)
  }
  // The parsed copy is only a check: filling the caller's own value keeps every field as sent.
  const fill = (s: Status) => {
    s.invocationCount = invocationCount(
      counts,
      functionKey(functionRef(config, { name: s.name, namespace: s.namespace || undefined })),
    )
  }
  if (answer.list) (value as Status[]).forEach(fill)
  else fill(value as Status)
  return answerWith(response, value)
}

function answerWith(response: Response, value: unknown): Response {
  const headers = new Headers(response.headers)
  headers.delete('content-length')
  return new Response(JSON.stringify(value), {
    status: response.status,
    statusText: response.statusText,
    headers,
  })
}
