import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'

/** The budget for everything a browser downloads for the portal, gzipped. */
export const BUDGET_BYTES = 100 * 1024

export type BundleSize = {
  files: { name: string; bytes: number; gzip: number }[]
  bytes: number
  gzip: number
}

/** Every file of the built portal, raw and gzipped (level 9, about what the edge sends). */
export function bundleSize(dir: string): BundleSize {
  const files = walk(dir).map((path) => {
    const data = readFileSync(path)
    return { name: relative(dir, path), bytes: data.length, gzip: gzipSync(data, { level: 9 }).length }
  })
  return {
    files,
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    gzip: files.reduce((sum, f) => sum + f.gzip, 0),
  }
}

export const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  )
}
