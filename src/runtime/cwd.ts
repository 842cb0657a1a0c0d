// The working directories loopcop reads paths against (docs/architecture.md, "runtime"). Tests move
// the process's: `process.chdir()` into a fixture folder, or `process.cwd = () => fixture` (ESLint's
// CLI tests do both). loopcop must follow neither where the path is the project's — an allow rule's
// relative glob, a baseline key, a path in a message or the report, the report's own path — and
// must never call a stub a test put on `process.cwd` (it may throw, or count its calls).
import process from 'node:process'

// Taken when loopcop loads, before any test runs (its entry loads first).
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with `process` as `this`
const cwdOfProcess: () => string = process.cwd
const atLoad: string = cwdOfProcess.call(process)

/**
 * The project's directory: the working directory the process had when loopcop loaded (the runner's,
 * which its workers inherit). Relative globs, baseline keys, report paths and the paths loopcop
 * shows are read against it, wherever a test has moved the working directory since.
 */
export function projectCwd(): string {
  return atLoad
}

/**
 * The process's working directory now, as the system resolves a relative path a blocking call is
 * given (`fs.readFileSync('users.json')` after a `process.chdir()`): read through `process.cwd` as
 * it was when loopcop loaded, never a stub a test put there since. Node keeps it between `chdir`s.
 */
export function liveCwd(): string {
  return cwdOfProcess.call(process)
}
