// The CommonJS module cache, read for what loaded before loopcop: the copies of fs that packages
// took (intercept/fs-copies.ts) and the files that may hold fs functions (runner/load-order.ts).
import { createRequire } from 'node:module'
import { join } from 'node:path'

/** A module of the CommonJS cache, as far as telling what it is and who loaded it goes (`parent`: the first module that required it). */
export interface CachedModule {
  /** `'.'` for the script Node was started with (`node run.js`). */
  readonly id?: string
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

/** The test runners' own packages (Mocha, Vitest and Vite's module runner, Jest, and their pools). */
export const RUNNER_PACKAGES = /^(?:mocha|vitest|@vitest\/.+|vite-node|jest|jest-.+|@jest\/.+|tinypool)$/
