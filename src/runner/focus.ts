// Focused tests (`test.only`) in a run's test files: tests they skip did not run, so the run is
// partial. Vitest and Jest report a test skipped for another's `.only` as they report one written
// `.skip`, and apply `.only` per file: a file that skipped none was not narrowed by it.
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { projectCwd } from '../runtime/cwd.js'

/** `.only` anywhere (`it.only`, `describe.only`, `test.only.each`), Vitest's `{ only: true }`, and Jest's `fit`/`fdescribe`. */
const FOCUS = /\.only\b|\bonly\s*:\s*true\b|(?<![\w$.])f(?:it|describe)[.(]/

/**
 * Whether the source of a test file that skipped tests may focus some: it says `.only` (or Jest's
 * `fit(`/`fdescribe(`), or a test option `only: true`, in code or in a comment. A file that cannot
 * be read may (the safe answer: the run is then taken for partial, whose unseen entries stay).
 */
export function mayFocusTests(file: string): boolean {
  try {
    return FOCUS.test(readFileSync(file, 'utf8'))
  } catch {
    return true
  }
}

/** A test file of the run: its path (if known), and whether it skipped tests (asked only when needed). */
export interface RanFile {
  readonly file: string | undefined
  readonly skipped: () => boolean
}

/**
 * Why `.only` may have made the run partial (`focused tests (.only) in test/a.test.ts`, the path
 * relative to the working directory): the first test file that skipped tests and
 * {@link mayFocusTests}; else `undefined`.
 */
export function focusReason(files: Iterable<RanFile>): string | undefined {
  for (const { file, skipped } of files) {
    if (!skipped()) continue
    if (file === undefined) return 'focused tests (.only) in a test file'
    if (mayFocusTests(file)) return `focused tests (.only) in ${relative(projectCwd(), file)}`
  }
  return undefined
}
