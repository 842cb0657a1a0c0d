// Warnings said once per process (per thread): what an integration can tell about the set-up
// (load order, a missing environment, a pool that copied fs) is true for every test file after.
import asyncHooks from 'node:async_hooks'

/**
 * Whether this is the first time `what` is asked for in this process. The answer is kept on the
 * `node:async_hooks` module object, which every realm (Jest's test files have their own
 * `globalThis` and `process`) and every copy of loopcop (ESM and CJS builds) share.
 */
export function firstInProcess(what: string): boolean {
  const home = asyncHooks as unknown as Record<symbol, true | undefined>
  const key = Symbol.for(`loopcop.once.${what}`)
  if (home[key] === true) return false
  try {
    Object.defineProperty(home, key, { value: true, enumerable: false, configurable: true })
  } catch {
    // A frozen module object: then it is said again next time, which is still right.
  }
  return true
}
