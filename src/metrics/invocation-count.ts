import type { Config } from '../config'
import type { Bindings } from '../env'
import { invocationCount, readCounts } from './read'

/**
 * A provider's function status (one, or a list) with `invocationCount` taken
 * from the gateway's own counts, as the OpenFaaS gateway fills it. Everything
 * else stays as the provider sent it. When the counts cannot be read, the
 * provider's answer passes unchanged rather than failing the call.
 */
export async function withInvocationCounts(
  env: Bindings,
  config: Config,
  response: Response,
): Promise<Response> {
  if (!response.ok) return response
  const text = await response.text()
  const unchanged = () => new Response(text, response)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return unchanged()
  }
  let counts: Awaited<ReturnType<typeof readCounts>>['counts']
  try {
    ;({ counts } = await readCounts(env))
  } catch (error) {
    console.warn('invocationCount: cannot read the metrics shards:', String(error))
    return unchanged()
  }
  const fill = (status: unknown) => {
    if (status === null || typeof status !== 'object') return
    const s = status as { name?: unknown; namespace?: unknown; invocationCount?: number }
    if (typeof s.name !== 'string') return
    const namespace = typeof s.namespace === 'string' && s.namespace ? s.namespace : config.defaultNamespace
    s.invocationCount = invocationCount(counts, `${s.name}.${namespace}`)
  }
  if (Array.isArray(value)) value.forEach(fill)
  else fill(value)
  const headers = new Headers(response.headers)
  headers.delete('content-length')
  return new Response(JSON.stringify(value), {
    status: response.status,
    statusText: response.statusText,
    headers,
  })
}
