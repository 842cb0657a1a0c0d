// The CommonJS module cache, read for what loaded before loopcop: the copies of fs that packages
// took (intercept/fs-copies.ts) and the files that may hold fs functions (runner/load-order.ts).
import { createRequire } from 'node:module'
import { join, sep } from 'node:path'

/** A module of the CommonJS cache, as far as telling what it is and who loaded it goes (`parent`: the first module that required it). */
export interface CachedModule {
  readonly filename?: string
  readonly parent?: CachedModule | null
  readonly exports?: unknown
}

/** The CommonJS module cache (one per process, whoever asks), by file; empty when it cannot be read. */
export function moduleCache(cwd: string): Readonly<Record<string, CachedModule | undefined>> {
  try {
    return createRequire(join(cwd, 'package.json')).cache
  } catch {
    return {}
  }
}

/** The package a file of `node_modules` belongs to (`@scope/name` or `name`), else `undefined`. */
export function packageOfFile(file: string): string | undefined {
  const at = file.lastIndexOf(`${sep}node_modules${sep}`)
  if (at < 0) return undefined
  const [first, second] = file.slice(at + sep.length + 'node_modules'.length + sep.length).split(sep)
  return first?.startsWith('@') === true && second !== undefined ? `${first}/${second}` : first
}

/** The test runners' own packages (Mocha, Vitest and Vite's module runner, Jest, and their pools). */
export const RUNNER_PACKAGES = /^(?:mocha|vitest|@vitest\/.+|vite-node|jest|jest-.+|@jest\/.+|tinypool)$/
