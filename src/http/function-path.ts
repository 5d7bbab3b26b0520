import { splitFunctionName, writtenName } from '../function-ref'
import { isDnsLabel } from '../schemas/openfaas'
import { dotSegmentProblem } from './path-safety'
import { splitUrl } from './url'

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
  if (segment === '') return { status: 404, message: `no such function: ${path} names none` }
  const { name, namespace } = splitFunctionName(segment)
  // Only DNS-1123 labels can be deployed, so any other name is a function that does not exist and gets
  // the same 404 as an unknown one: OpenFaaS clients read 404 as "no such function", other codes differently.
  if (!isDnsLabel(name) || (namespace !== undefined && !isDnsLabel(namespace))) {
    return {
      status: 404,
      message: `no such function: "${segment}" is not name or name.namespace made of DNS-1123 labels (lowercase letters, digits and "-", at most 63 characters)`,
    }
  }
  const unsafe = dotSegmentProblem(rest)
  if (unsafe) return { status: 400, message: `refused ${path}: ${unsafe}` }
  return namespace === undefined ? { name, rest, search } : { name, namespace, rest, search }
}

/** The provider path a target's calls must stay inside: the function itself, in the shape the caller used. */
export function functionScope(target: FunctionTarget): string {
  return `/function/${writtenName(target)}`
}

/** The provider path for a target: the same shape the caller used. */
export function functionPath(target: FunctionTarget): string {
  return functionScope(target) + target.rest
}

/** The path an asynchronous call to a target was made on, as the caller wrote it (without the query). */
export function asyncFunctionPath(target: Pick<FunctionTarget, 'name' | 'namespace' | 'rest'>): string {
  return `/async-function/${writtenName(target)}${target.rest}`
}
