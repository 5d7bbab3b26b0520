import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

// The import graph of a source tree, read from its import and export statements (type-only ones too:
// a type that crosses folders says the same about who owns what as a value does).

export type Edge = { from: string; to: string; via: string }

const SPECIFIER =
  /^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]|^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/gm

/** Every relative import between the `.ts`/`.tsx` files under `root`, as paths relative to it, without extension. */
export function fileImports(root: string): Edge[] {
  const edges: Edge[] = []
  for (const file of sourceFiles(root)) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = (m[1] ?? m[2]) as string
      const target = resolve(dirname(file), spec)
      // Imports of files outside the tree (package.json, another project's schemas) are not its layout.
      if (relative(root, target).startsWith('..')) continue
      edges.push({
        from: moduleId(root, file),
        to: moduleId(root, target),
        via: `${relative(root, file)} -> ${spec}`,
      })
    }
  }
  return edges
}

/** The same graph, each module replaced by `group(module)`; edges inside one group are dropped. */
export function groupImports(edges: Edge[], group: (module: string) => string): Edge[] {
  return edges.map((e) => ({ ...e, from: group(e.from), to: group(e.to) })).filter((e) => e.from !== e.to)
}

/** The cycles of a graph, one per strongly connected component with more than one node, each as a path of edges. */
export function cycles(edges: Edge[]): Edge[][] {
  const out = new Map<string, Edge[]>()
  for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e])
  const found: Edge[][] = []
  const done = new Set<string>()
  for (const start of out.keys()) {
    if (done.has(start)) continue
    const path = findPathBack(start, out)
    if (path) {
      found.push(path)
      for (const e of path) done.add(e.from)
    }
    done.add(start)
  }
  return found
}

function findPathBack(start: string, out: Map<string, Edge[]>): Edge[] | undefined {
  const seen = new Set<string>()
  const walk = (node: string, path: Edge[]): Edge[] | undefined => {
    for (const e of out.get(node) ?? []) {
      if (e.to === start) return [...path, e]
      if (seen.has(e.to)) continue
      seen.add(e.to)
      const found = walk(e.to, [...path, e])
      if (found) return found
    }
    return undefined
  }
  return walk(start, [])
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path)
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

function moduleId(root: string, path: string): string {
  return relative(root, path).replace(/\.tsx?$/, '')
}
