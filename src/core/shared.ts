import asyncHooks from 'node:async_hooks'
import { dirname } from 'node:path'
import * as local from './api.js'
import { fileURLToPath } from 'node:url'

/** The implementation a process shares. */
export type Api = typeof local

const KEY = Symbol.for('loopcop')

/**
 * ONE detector per process. The ESM and CJS builds, and Jest's per-file module registry, may each
 * load a copy of loopcop; the first copy's implementation is kept where every copy reaches it.
 * Not on `globalThis` or `process`: Jest's test realm has its own. Builtin modules are the same
 * objects in every realm, so the key lives on `node:async_hooks` (never mocked in practice).
 */
function claim(): Api {
  const home = asyncHooks as unknown as Record<symbol, Api | undefined>
  const existing = home[KEY]
  if (existing !== undefined) return existing
  Object.defineProperty(home, KEY, { value: local, enumerable: false, configurable: true, writable: false })
  return local
}

/** The implementation in use by this process. */
export const shared: Api = claim()

// Frames inside this copy of loopcop never appear in findings: the whole build folder
// (`dist/esm/`, bundled into chunks; `dist/cjs/`), or `src/` and `integrations/` when running from
// the sources (this repository's own tests).
const here = ownFile()
if (here !== undefined) {
  const build = /^((.*)[\\/]dist[\\/](?:esm|cjs))[\\/]/.exec(here)
  if (build?.[1] !== undefined && build[2] !== undefined) {
    shared.addOwnRoot(build[1])
    // Runners that source-map stacks (Jest) turn build frames into their sources' paths.
    shared.addOwnRoot(`${build[2]}/src`)
    shared.addOwnRoot(`${build[2]}/integrations`)
  } else {
    const root = dirname(dirname(dirname(here)))
    shared.addOwnRoot(`${root}/src`)
    shared.addOwnRoot(`${root}/integrations`)
  }
}

/**
 * This file's path, from a structured stack: formatting one through the runner's
 * `Error.prepareStackTrace` would make Jest read source maps for every copy loaded.
 */
function ownFile(): string | undefined {
  const prepare = Error.prepareStackTrace
  try {
    Error.prepareStackTrace = (_error, sites) => sites
    const holder: { stack?: unknown } = {}
    Error.captureStackTrace(holder)
    const file = (holder.stack as NodeJS.CallSite[] | undefined)?.[0]?.getFileName() ?? undefined
    return file?.startsWith('file://') ? fileURLToPath(file) : file
  } catch {
    return undefined
  } finally {
    Error.prepareStackTrace = prepare
  }
}
