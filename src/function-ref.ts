import type { Config } from './config'

/** A function the gateway acts on, its namespace resolved to the provider's default when not named. */
export type FunctionRef = { name: string; namespace: string }

/**
 * `name.namespace`: the one key a function has everywhere in the gateway (its
 * Durable Object's name, the replica cache, metrics labels, the ledger), the
 * form OpenFaaS's `function_name` label takes.
 */
export const functionKey = (fn: FunctionRef): string => `${fn.name}.${fn.namespace}`

/**
 * A name as OpenFaaS clients write it, `name` or `name.namespace`, split on
 * the last dot as OpenFaaS does. Neither part is checked here.
 */
export function splitFunctionName(text: string): { name: string; namespace?: string } {
  const dot = text.lastIndexOf('.')
  return dot === -1 ? { name: text } : { name: text.slice(0, dot), namespace: text.slice(dot + 1) }
}

/** A name written back the way the caller wrote it: `name`, or `name.namespace` when it named one. */
export const writtenName = (target: { name: string; namespace?: string | undefined }): string =>
  target.namespace ? `${target.name}.${target.namespace}` : target.name

/** The function a call targets, its namespace resolved the way the provider resolves an omitted one. */
export function functionRef(
  config: Pick<Config, 'defaultNamespace'>,
  target: { name: string; namespace?: string | undefined },
): FunctionRef {
  return { name: target.name, namespace: target.namespace ?? config.defaultNamespace }
}

/** The function a key made by `functionKey` names. */
export function parseFunctionKey(key: string): FunctionRef {
  const dot = key.lastIndexOf('.')
  return { name: key.slice(0, dot), namespace: key.slice(dot + 1) }
}
