// Whether Jest's watch mode sees a file change: a JSON report written where it does starts the next
// run, whose report starts the next (found on koa's suite, `jest --watchAll` with LOOPCOP_REPORT set).
// What jest-haste-map watches: files under a project's `roots` with one of its
// `moduleFileExtensions`, outside node_modules, matching none of its `modulePathIgnorePatterns`
// and `watchPathIgnorePatterns`; and jest-core ignores a change in the coverage directory.
import { extname, sep } from 'node:path'

/** The part of a Jest project's configuration that says what watch mode watches. */
export interface WatchedProject {
  readonly rootDir?: unknown
  readonly roots?: unknown
  readonly moduleFileExtensions?: unknown
  readonly modulePathIgnorePatterns?: unknown
  readonly watchPathIgnorePatterns?: unknown
}

/** The strings of an array, or none. */
function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

/** Whether `pattern`, a regular expression's source, matches `file` (a pattern that is no regular expression never does). */
function matches(pattern: string, file: string): boolean {
  try {
    return new RegExp(pattern).test(file)
  } catch {
    return false
  }
}

/**
 * Whether a change to `file` (an absolute path) would start a run in Jest's watch mode: watched by
 * one of the projects and not in `coverageDirectory`.
 */
export function watchedByJest(file: string, projects: Iterable<WatchedProject>, coverageDirectory?: unknown): boolean {
  if (typeof coverageDirectory === 'string' && coverageDirectory !== '' && file.includes(coverageDirectory)) return false
  if (file.includes(`${sep}node_modules${sep}`)) return false
  for (const project of projects) {
    const roots = strings(project.roots)
    if (roots.length === 0 && typeof project.rootDir === 'string') roots.push(project.rootDir)
    if (!roots.some((root) => file === root || file.startsWith(root.endsWith(sep) ? root : root + sep))) continue
    const extensions = strings(project.moduleFileExtensions)
    if (extensions.length > 0 && !extensions.includes(extname(file).slice(1))) continue
    if ([...strings(project.modulePathIgnorePatterns), ...strings(project.watchPathIgnorePatterns)].some((p) => matches(p, file))) continue
    return true
  }
  return false
}
