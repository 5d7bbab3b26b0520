import { dotSegmentProblem } from './path-safety'
import { splitUrl } from './url'

const NAME = /^[-a-zA-Z_0-9.]+$/

export type FunctionTarget = {
  name: string
  /** Only when the caller named one (`name.ns`); otherwise the provider applies its default. */
  namespace?: string
  /** What follows the function name, with its leading `/`, still percent-encoded. */
  rest: string
  /** The raw query string with its `?`, or empty. */
  search: string
}

export type TargetError = { status: 400 | 404; message: string }

/**
 * Splits `{prefix}{name}[.{ns}][/{rest}]?{query}` from a request URL without
 * decoding anything, so the provider sees exactly the path the caller sent.
 * `name.ns` splits on the last dot, as OpenFaaS does.
 */
export function parseFunctionTarget(url: string, prefix: string): FunctionTarget | TargetError {
  const { path, search } = splitUrl(url)
  const slash = path.indexOf('/', prefix.length)
  const segment = slash === -1 ? path.slice(prefix.length) : path.slice(prefix.length, slash)
  const rest = slash === -1 ? '' : path.slice(slash)
  if (segment === '') return { status: 404, message: `no function name in ${path}` }
  if (!NAME.test(segment))
    return { status: 400, message: `invalid function name "${segment}": must match [-a-zA-Z_0-9.]+` }
  const unsafe = dotSegmentProblem(rest)
  if (unsafe) return { status: 400, message: `refused ${path}: ${unsafe}` }
  const dot = segment.lastIndexOf('.')
  if (dot === -1) return { name: segment, rest, search }
  const name = segment.slice(0, dot)
  const namespace = segment.slice(dot + 1)
  if (!name || !namespace) {
    return { status: 400, message: `invalid function name "${segment}": expected name or name.namespace` }
  }
  return { name, namespace, rest, search }
}

/** The provider path a target's calls must stay inside: the function itself, in the shape the caller used. */
export function functionScope(target: FunctionTarget): string {
  return target.namespace ? `/function/${target.name}.${target.namespace}` : `/function/${target.name}`
}

/** The provider path for a target: the same shape the caller used. */
export function functionPath(target: FunctionTarget): string {
  return functionScope(target) + target.rest
}
