import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const repo = fileURLToPath(new URL('../../', import.meta.url))
const testFiles = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'test'], {
  cwd: repo,
  encoding: 'utf8',
})
  .split('\n')
  .filter((f) => f.endsWith('.test.ts'))

describe('test files', () => {
  it('have names unique across folders, so a report line says which file failed', () => {
    expect(testFiles.length).toBeGreaterThan(40)
    const byName = Map.groupBy(testFiles, (f) => basename(f))
    expect([...byName.values()].filter((files) => files.length > 1)).toEqual([])
  })

  it('live in folders that test/README.md describes', () => {
    const readme = readFileSync(`${repo}test/README.md`, 'utf8')
    const folders = [...new Set(testFiles.map((f) => dirname(f)))]
    expect(folders.filter((folder) => !readme.includes(`\`${folder.replace(/^test\//, '')}/\``))).toEqual([])
  })
})
