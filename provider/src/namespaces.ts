import { conflict, notFound } from './errors.ts'
import type { NamespaceMeta } from './schemas.ts'

export type Namespaces = ReturnType<typeof createNamespaces>

// Namespaces are real: functions and secrets live in one, and the same name may exist in several.
// Rules that involve functions (a namespace must be empty to be deleted) live with the routes.
export function createNamespaces(initial: Record<string, NamespaceMeta>) {
  const namespaces = new Map(Object.entries(initial))

  function get(name: string): NamespaceMeta {
    const meta = namespaces.get(name)
    if (meta === undefined) throw notFound(`namespace ${name} not found`)
    return meta
  }

  return {
    has: (name: string) => namespaces.has(name),
    get,
    list: () => [...namespaces.keys()].sort(),
    create(name: string, meta: NamespaceMeta) {
      if (namespaces.has(name)) throw conflict(`namespace ${name} already exists`)
      namespaces.set(name, meta)
    },
    update(name: string, meta: NamespaceMeta) {
      get(name)
      namespaces.set(name, meta)
    },
    remove(name: string) {
      get(name)
      namespaces.delete(name)
    },
    snapshot: (): Record<string, NamespaceMeta> => Object.fromEntries(namespaces),
  }
}
