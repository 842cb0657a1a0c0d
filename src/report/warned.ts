import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { textHash } from '../runtime/hash.js'

// Not scope-aware: the detector runs every function here outside every scope (its own I/O).

/**
 * The folder where the processes of one run mark the call sites `warn` mode has printed, so that a
 * site is printed once a run, not once a process: Vitest runs each test file in a process (or
 * thread) of its own, node:test too, Jest and Mocha `--parallel` several workers. It is made, and
 * named in this variable, by whatever reports the run (loopcop's Vitest, Jest and node:test
 * reporters, Mocha's main process) before the workers start, which inherit it. Without it each
 * process prints its own first sighting of a site.
 */
export const WARNED_ENV = 'LOOPCOP_WARNED_DIR'

/**
 * Makes the run's folder of printed call sites (`dir`, or a new one in the system's temporary
 * folder) and names it in `LOOPCOP_WARNED_DIR` for the workers started after it.
 */
export function openWarned(dir?: string): string {
  if (dir === undefined) dir = mkdtempSync(join(tmpdir(), 'loopcop-warned-'))
  else mkdirSync(dir, { recursive: true })
  process.env[WARNED_ENV] = dir
  return dir
}

/** Removes the folder (if it can), and the variable when it names it. */
export function closeWarned(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true })
  } catch {
    // Left in the temporary folder: it holds only empty marks.
  }
  if (process.env[WARNED_ENV] === dir) Reflect.deleteProperty(process.env, WARNED_ENV)
}

/**
 * Whether this process is the first of the run to print call site `site`: it marks the site in the
 * run's folder with a file only one process can create. True, so the site is printed, when the run
 * has no folder or it cannot be written (removed by a run that ended, a full disk): a line printed
 * twice costs less than a call site never said.
 */
export function claimWarning(site: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const dir = env[WARNED_ENV]
  if (dir === undefined || dir === '') return true
  // Two independent 53-bit hashes: two sites of a run sharing a name (one line lost) is not a worry.
  const name = `${textHash(site)}-${textHash(site, 1)}`
  try {
    // Never `mkdir` here: a folder its run has removed stays removed, not left behind in tmp.
    closeSync(openSync(join(dir, name), 'wx'))
    return true
  } catch (error) {
    return (error as { code?: unknown }).code !== 'EEXIST'
  }
}
