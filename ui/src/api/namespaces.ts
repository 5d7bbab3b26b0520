import { readJson, stringList } from './read'

export function listNamespaces(signal?: AbortSignal): Promise<string[]> {
  return readJson('/system/namespaces', stringList, signal)
}
