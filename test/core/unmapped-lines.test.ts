import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { Finding } from '../../src/model/finding.js'
import { loaderLinesNote } from '../../src/report/loader-lines.js'
import { fitsSource, unmappedLinesNote } from '../../src/report/unmapped-lines.js'

const cwd = process.cwd()

/** The fixture's src/users.ts, as ts-jest reads it. */
const USERS = [
  "import fs from 'node:fs'",
  "import path from 'node:path'",
  '',
  '/** A user as stored in users.json. */',
  'export interface User {',
  '  readonly name: string',
  '  readonly admin?: boolean',
  '}',
  '',
  'type Raw = { users: User[] }',
  '',
  "const file: string = path.join(__dirname, 'users.json')",
  '',
  'export function loadUsers(): User[] {',
  "  const raw = fs.readFileSync(file, 'utf8') as string",
  '  return (JSON.parse(raw) as Raw).users',
  '}',
]

function call(file: string, line: number, column: number, kind: 'sync-io' | 'stall' = 'sync-io'): Finding {
  return { kind, id: 'x', operation: 'fs.readFileSync', category: 'fs', hint: '', durationMs: 1, calls: 1, allowed: false, leak: false, location: { file: join(cwd, file), line, column }, frames: [] } as unknown as Finding
}

const linesOf = (file: string): readonly string[] | undefined => (file.endsWith('users.ts') ? USERS : undefined)

describe('fitsSource', () => {
  test('a call at its callee’s name fits: `readFileSync` of fs.readFileSync(…), a function’s name, `new`', () => {
    expect(fitsSource(USERS, 15, 18)).toBe(true)
    expect(fitsSource(USERS, 12, 22)).toBe(true) // path.join: `path`
    expect(fitsSource(['  const u = new Users()'], 1, 13)).toBe(true)
    // Babel's map of `(0, _fs.existsSync)(path)`: the argument list's `(`, right after the name (simple-git).
    expect(fitsSource(['  return existsSync(path);'], 1, 20)).toBe(true)
  })

  test('a compiled position does not: inside a word, on a blank, past a line’s end or the file’s', () => {
    expect(fitsSource(USERS, 12, 35)).toBe(false) // ts-jest without maps: the `i` of `__dirname`
    expect(fitsSource(USERS, 15, 14)).toBe(false) // the blank before `fs`
    expect(fitsSource(USERS, 16, 60)).toBe(false)
    expect(fitsSource(USERS, 70, 1)).toBe(false)
    // A `(` after a blank or another `(` is no call's argument list.
    expect(fitsSource(['  return (existsSync(path));'], 1, 10)).toBe(false)
    expect(fitsSource(['  if (a) return'], 1, 6)).toBe(false)
  })
})

describe('unmappedLinesNote', () => {
  test('names the first call site that does not fit its source, and how to turn source maps on', () => {
    expect(unmappedLinesNote([call('src/users.ts', 12, 35)], cwd, linesOf)).toBe(
      'loopcop: the lines shown in TypeScript files (src/users.ts:12, …) do not fit their source: they look like the compiled JavaScript\'s, made without a source map (the runner\'s own failures show the same lines). Turn source maps on where your TypeScript is compiled for the tests (ts-jest: "sourceMap": true in the tsconfig it uses; babel-jest: sourceMaps) to see your lines.',
    )
  })

  test('says nothing when the sites fit, when fewer misfit than fit, or of files it cannot read, JavaScript and stalls', () => {
    expect(unmappedLinesNote([call('src/users.ts', 15, 18)], cwd, linesOf)).toBeUndefined()
    expect(unmappedLinesNote([call('src/users.ts', 15, 18), call('src/users.ts', 12, 22), call('src/users.ts', 12, 35)], cwd, linesOf)).toBeUndefined()
    expect(unmappedLinesNote([call('src/gone.ts', 12, 35)], cwd, linesOf)).toBeUndefined()
    expect(unmappedLinesNote([call('src/users.js', 12, 35)], cwd, () => USERS)).toBeUndefined()
    expect(unmappedLinesNote([call('src/users.ts', 12, 35, 'stall')], cwd, linesOf)).toBeUndefined()
    // Allowed calls: their lines are shown nowhere but in the JSON report.
    expect(unmappedLinesNote([{ ...call('src/users.ts', 12, 35), allowed: true } as Finding], cwd, linesOf)).toBeUndefined()
  })

  test('half or more misfit: said; each site is counted once, however many findings share it', () => {
    expect(unmappedLinesNote([call('src/users.ts', 15, 18), call('src/users.ts', 12, 35)], cwd, linesOf)).toContain('(src/users.ts:12, …)')
    const fits = Array.from({ length: 3 }, () => call('src/users.ts', 15, 18))
    expect(unmappedLinesNote([...fits, call('src/users.ts', 12, 35)], cwd, linesOf)).toContain('do not fit their source')
  })

  test("Mocha's and node:test's summary note says it too, where no loader or built file explains the lines", () => {
    const findings = [call('src/users.ts', 12, 35)]
    expect(loaderLinesNote(findings, { loaders: [], sourceMaps: false, cwd, mapped: () => false, linesOf })).toContain('do not fit their source')
    expect(loaderLinesNote(findings, { loaders: [], sourceMaps: true, cwd, linesOf })).toContain('do not fit their source')
    expect(loaderLinesNote(findings, { loaders: ['ts-node/esm'], sourceMaps: false, cwd, linesOf })).toContain('a module loader compiles them')
  })
})
