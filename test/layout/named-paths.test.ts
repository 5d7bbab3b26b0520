import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// Docs and tests name only files that exist: every path into the repository's own folders that a README,
// a source file or a test names (in prose, code or a comment) must be there.

const repo = fileURLToPath(new URL('../../', import.meta.url))
const FOLDERS = ['src', 'test', 'provider', 'bench', 'scripts', 'ui', 'examples', 'docs', '.ci']
// A path starts a token (after a space, quote, backtick or bracket), so `../../src/index` in an import is not one.
const NAMED = new RegExp(
  `(?<=^|[\\s\`'"(\\[])((?:${FOLDERS.join('|').replace('.', '\\.')})/[^\\s\`'"()\\[\\]]*)`,
  'gm',
)
// In a folder's README, a file of that folder is named bare: `drain.ts`.
const BARE = /`([-\w.]+\.(?:ts|tsx|mjs|md|sh|toml))`/g
// Globs and placeholders name a family of files, not one.
const PATTERN = /[*<{…$]/

const tracked = (...patterns: string[]) =>
  execFileSync('git', ['ls-files', '-z', '--', ...patterns], { cwd: repo, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean)

/** Paths git ignores are made by the tools (`ui/dist/`, screenshots), so they need not exist in a clone. */
function ignored(path: string): boolean {
  try {
    execFileSync('git', ['check-ignore', '-q', '--no-index', path], { cwd: repo })
    return true
  } catch {
    return false
  }
}

function namedPaths(text: string, bare = false): string[] {
  return [...text.matchAll(NAMED), ...(bare ? text.matchAll(BARE) : [])]
    .map((m) => (m[1] as string).replace(/#.*/, '').replace(/[.,:;]+$/, ''))
    .filter((path) => !PATTERN.test(path) && !path.endsWith('/.'))
}

const sources = [
  ...tracked('*.md').filter((f) => !f.startsWith('node_modules/')),
  ...tracked('src/*.ts', 'test/*.ts', 'provider/*.ts', 'scripts/*.mjs', 'bench/*.mjs', 'ui/*.ts', 'ui/*.tsx'),
  '.ci/run',
]

describe('every path a doc or test names exists', () => {
  it('reads what it checks', () => {
    // The README alone names dozens; a pattern that matched nothing would pass everything.
    expect(namedPaths(readFileSync(join(repo, 'README.md'), 'utf8')).length).toBeGreaterThan(50)
    expect(namedPaths("see `src/scale/wake.ts`, 'test/raw/harness.ts' and (bench/README.md).")).toEqual([
      'src/scale/wake.ts',
      'test/raw/harness.ts',
      'bench/README.md',
    ])
    expect(namedPaths("import x from '../../src/index'; 'test/**/*.test.ts'")).toEqual([])
  })

  // One test for the docs and one for the code, each listing every `file: path` it could not find.
  for (const [kind, files] of [
    ['READMEs and docs', sources.filter((f) => f.endsWith('.md'))],
    ['source, tests and scripts', sources.filter((f) => !f.endsWith('.md'))],
  ] as const) {
    it(`${kind} name only files that exist`, () => {
      const missing = files.flatMap((file) =>
        namedPaths(readFileSync(join(repo, file), 'utf8'), file.endsWith('README.md') && file.includes('/'))
          // A README may name a path from its own folder or from the repository's top.
          .filter((path) => !existsSync(join(repo, path)) && !existsSync(join(repo, dirname(file), path)))
          .filter((path) => !ignored(path))
          .map((path) => `${file}: ${path}`),
      )
      expect(missing).toEqual([])
    })
  }
})
