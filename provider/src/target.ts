import { notFound } from './errors.ts'
import { isDnsLabel } from './schemas.ts'

// Invocation paths, /function/{name}[.{namespace}][/{rest}][?query], as the invoke route and the WebSocket
// upgrade handler both read them.

export function functionOf(target: string, defaultNamespace: string): { name: string; namespace: string } {
  // name.namespace splits on the last dot; function names cannot contain one.
  const dot = target.lastIndexOf('.')
  const name = dot === -1 ? target : target.slice(0, dot)
  const namespace = dot === -1 ? defaultNamespace : target.slice(dot + 1)
  // A name that could never be deployed is as unknown as any other, as the gateway answers too.
  if (!isDnsLabel(name) || !isDnsLabel(namespace)) {
    throw notFound(`function ${target} not found: not name or name.namespace made of DNS-1123 labels`)
  }
  return { name, namespace }
}

// A raw request target split into the function's part and the rest, which is what the function is asked
// for: the path after the function (`/` at least) with the query exactly as sent. Undefined when it is
// not an invocation path.
export function splitInvocation(url: string): { target: string; rest: string } | undefined {
  const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(url)?.[0] ?? ''
  const match = /^\/function\/([^/?]*)(.*)$/s.exec(url.slice(origin.length))
  if (match === null) return undefined
  const [, target = '', rest = ''] = match
  let decoded = target
  try {
    decoded = decodeURIComponent(target)
  } catch {}
  return { target: decoded, rest: rest.startsWith('/') ? rest : `/${rest}` }
}
