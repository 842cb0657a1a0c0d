// How every loader of loopcop's core finds the one evaluation of it in the process
// (docs/architecture.md, "loading the core"). Both builds' `src/core.js` are small loaders of one
// bundle, `dist/cjs/src/core-bundle.js`: the CommonJS one runs it through V8's code cache (or
// `require`s it in a realm other than the main one), the ES-module one `require`s the CommonJS
// one. Evaluated by each, a Jest test file's `require('loopcop')` (for `allowBlocking`) would
// evaluate the ~190 KB bundle again in the file's own realm — ~7 ms of CPU a test file — only to
// reach the detector the environment made.
import asyncHooks from 'node:async_hooks'

/** What the core bundle exports. */
export type CoreExports = Record<string, unknown>

/** Where evaluated cores are kept: the prefix of their keys. */
const PREFIX = 'loopcop.core:'

/**
 * The exports of the core bundle `file` of the build `build`: evaluated by `load` the first time a
 * loader of the process asks for it, the same object every time after that, from every realm and
 * either build. Kept on the `node:async_hooks` module object, as the detector is (`process.ts`):
 * builtin modules are the same objects in every realm, and `Symbol.for` keys are shared across
 * realms. The key names the file and the build's hash of it, so two installs of loopcop (or a
 * rebuilt one) each evaluate their own. A `load` that throws records nothing: the next loader
 * tries again, as `require` would.
 */
export function sharedCore(file: string, build: string, load: () => CoreExports): CoreExports {
  const home = asyncHooks as unknown as Record<symbol, unknown>
  const key = Symbol.for(`${PREFIX}${build}:${file}`)
  const known = home[key]
  if (typeof known === 'object' && known !== null) return known as CoreExports
  const exports = load()
  Object.defineProperty(home, key, { value: exports, enumerable: false, configurable: true, writable: false })
  return exports
}
