import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { cycles, type Edge, fileImports, groupImports } from './import-graph'

const repo = fileURLToPath(new URL('../../', import.meta.url))

/**
 * The gateway's folders from the top of the import graph down (src/README.md says the same in prose).
 * A folder may import only folders below it. `(app)` is src/index.ts, which composes everything;
 * `(base)` is the files at src/'s top (config, env, function identity, durations, sizes), which every
 * folder may use and which import only schemas/.
 */
const LAYERS = [
  ['(app)'],
  ['routes', 'middleware', 'durable'],
  ['schedule'],
  ['queue'],
  ['invoke', 'access'],
  ['scale'],
  ['metrics'],
  ['forward'],
  ['observe'],
  ['http'],
  ['(base)'],
  ['schemas'],
]
const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as const)))

const folderOf = (module: string): string =>
  module.includes('/') ? (module.split('/')[0] as string) : module === 'index' ? '(app)' : '(base)'

const show = (path: Edge[]) => path.map((e) => `${e.from} -> ${e.to} (${e.via})`).join('\n  ')

describe('src/ imports point one way', () => {
  const edges = groupImports(fileImports(`${repo}src`), folderOf)

  it('reads a graph worth checking', () => {
    // A parser that found nothing would pass everything below.
    expect(edges.length).toBeGreaterThan(100)
    expect(new Set(edges.map((e) => e.from))).toContain('routes')
  })

  it('has no folder-level cycle', () => {
    expect(cycles(edges).map(show)).toEqual([])
  })

  it('places every folder in a layer, and imports only from layers below', () => {
    const unplaced = [...new Set(edges.flatMap((e) => [e.from, e.to]))].filter((f) => !rank.has(f))
    expect(unplaced, 'a new folder under src/ needs its place in LAYERS and a README').toEqual([])
    const upward = edges.filter((e) => (rank.get(e.from) as number) >= (rank.get(e.to) as number))
    expect(upward.map((e) => `${e.from} -> ${e.to} (${e.via})`)).toEqual([])
  })
})

describe('no file-level import cycle', () => {
  for (const tree of ['src', 'provider/src', 'ui/src']) {
    it(tree, () => {
      const edges = fileImports(`${repo}${tree}`)
      expect(edges.length).toBeGreaterThan(10)
      expect(cycles(edges).map(show)).toEqual([])
    })
  }
})

describe('the cycle finder', () => {
  const edge = (from: string, to: string): Edge => ({ from, to, via: `${from}.ts` })

  it('finds a cycle through three nodes and says where it runs', () => {
    const found = cycles([edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('c', 'd')])
    expect(found).toHaveLength(1)
    expect(found[0]?.map((e) => e.from).sort()).toEqual(['a', 'b', 'c'])
  })

  it('finds none in a diamond', () => {
    expect(cycles([edge('a', 'b'), edge('a', 'c'), edge('b', 'd'), edge('c', 'd')])).toEqual([])
  })
})
