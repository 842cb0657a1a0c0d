// Lines in TypeScript files that do not fit their source, said in the run summary: a transform
// that compiles TypeScript without a source map (ts-jest under a tsconfig with `"sourceMap":
// false`, class-validator's) leaves every frame in those files at the compiled JavaScript's line
// and column, under the .ts file's name. Jest's own failures show the same lines, with a code frame
// of the TypeScript source at the wrong line; loopcop cannot map them, so it says so.
import fs from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import type { Finding } from '../model/finding.js'
import { displayPath } from '../stack/frames.js'

/** A TypeScript file's extension. */
export const TYPESCRIPT = /\.(?:[cm]?ts|tsx)$/

/** How many call sites (distinct file, line and column) are looked at, at most. */
const SITES_LOOKED_AT = 10

/** A character that may go on an identifier (ASCII, `$`, `_`, or any non-ASCII letter, loosely). */
const IDENTIFIER_PART = /[\w$\u0080-\uffff]/

// Taken as loopcop loads, before its interceptors wrap it (reading a file here is loopcop's own).
const { readFileSync } = fs

/** Reads a file's lines, or undefined when it cannot be read. */
export type LinesOf = (file: string) => readonly string[] | undefined

function readLines(file: string): readonly string[] | undefined {
  try {
    return readFileSync(file, 'utf8').split(/\r?\n/)
  } catch {
    return undefined
  }
}

/**
 * Whether a call's position (1-based line and column) fits its source: the line and column exist,
 * and an identifier starts there. V8 places a call at its callee's name (`readFileSync` in
 * `fs.readFileSync(…)`, `loadUsers` in `loadUsers()`, `new` in `new Foo()`), which source maps keep.
 * A compiled file's position read against its source lands past a line's end, on blanks, or inside
 * a word (ts-jest without maps: `src/users.ts:12:35`, the `i` of `__dirname`). Stalls and allowed
 * calls are not looked at.
 */
export function fitsSource(lines: readonly string[], line: number, column: number): boolean {
  const text = lines[line - 1]
  if (text === undefined) return false
  const at = text[column - 1]
  const before = text[column - 2]
  // Babel's maps place a call it compiled to `(0, _fs.existsSync)(path)` at its argument list: the
  // `(` right after the callee's name (simple-git under babel-jest, with maps on).
  if (at === '(') return before !== undefined && IDENTIFIER_PART.test(before)
  if (at === undefined || !IDENTIFIER_PART.test(at)) return false
  return before === undefined || !IDENTIFIER_PART.test(before)
}

/**
 * The note a run summary ends with when the blocking calls' sites in TypeScript files do not fit
 * their source (`fitsSource`): at least one and at least half of those looked at. Undefined otherwise.
 * Stalls are not looked at: a probe stops the code at any expression, not at a call.
 */
export function unmappedLinesNote(findings: readonly Finding[], cwd?: string, linesOf: LinesOf = readLines): string | undefined {
  const seen = new Set<string>()
  const files = new Map<string, readonly string[] | undefined>()
  let misfit: { file: string; line: number } | undefined
  let misfits = 0
  let fits = 0
  for (const f of findings) {
    // Only the lines a run shows: an allowed call's are in the JSON report alone (a run whose every
    // finding was allowed said "no blocking … found", then that its lines did not fit).
    if (f.kind !== 'sync-io' || f.location === undefined || f.allowed) continue
    const { file, line, column } = f.location
    if (!TYPESCRIPT.test(file)) continue
    const key = `${file}:${line}:${column}`
    if (seen.has(key)) continue
    seen.add(key)
    const path = isAbsolute(file) || cwd === undefined ? file : resolve(cwd, file)
    if (!files.has(path)) files.set(path, linesOf(path))
    const lines = files.get(path)
    if (lines === undefined) continue
    if (fitsSource(lines, line, column)) fits++
    else {
      misfits++
      misfit ??= { file, line }
    }
    if (fits + misfits >= SITES_LOOKED_AT) break
  }
  if (misfit === undefined || misfits < fits) return undefined
  const where = `${displayPath(misfit.file, cwd)}:${misfit.line}`
  return `loopcop: the lines shown in TypeScript files (${where}, …) do not fit their source: they look like the compiled JavaScript's, made without a source map (the runner's own failures show the same lines). Turn source maps on where your TypeScript is compiled for the tests (ts-jest: "sourceMap": true in the tsconfig it uses; babel-jest: sourceMaps) to see your lines.`
}
