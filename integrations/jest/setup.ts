/**
 * `loopcop/jest`, for Jest's `setupFilesAfterEnv`: registers `expect(fn).toBlockEventLoop()` (see
 * `loopcop/jest/matchers`) and types it for the global `expect` and for `@jest/globals`. Per-test
 * enforcement comes from the environment, `testEnvironment: 'loopcop/jest/environment'` (or
 * `withLoopcop` around another one); without it this file says once that no test is checked.
 *
 * ```ts
 * await expect(() => handler(req)).not.toBlockEventLoop()
 * expect(() => fs.readFileSync(file)).toBlockEventLoop()
 * ```
 * @module
 */
import * as asyncHooks from 'node:async_hooks'
import { environmentRuns } from './handle.js'

export * from './matchers.js'

/**
 * Where the "environment missing" warning is remembered for the worker process: on a core module
 * object, which every test file's realm shares (their `globalThis` and `process` are their own).
 */
const WARNED = Symbol.for('loopcop.jest.environmentMissingWarned')

if (!environmentRuns(globalThis)) {
  const holder = asyncHooks as unknown as Record<symbol, true | undefined>
  if (holder[WARNED] !== true) {
    try {
      Object.defineProperty(holder, WARNED, { value: true, configurable: true })
    } catch {
      // A frozen module object: then the warning may show once per test file, which is still right.
    }
    process.stderr.write(
      "loopcop: per-test checking is off: 'loopcop/jest' is in setupFilesAfterEnv, but the tests do not run in loopcop's environment, so a test that blocks the event loop passes.\n" +
        "  Set testEnvironment: 'loopcop/jest/environment' in the Jest config (for jsdom or a custom environment, wrap it with withLoopcop() from 'loopcop/jest/environment').\n" +
        "  Only the toBlockEventLoop matcher is wanted? Use 'loopcop/jest/matchers' in setupFilesAfterEnv instead, which does not warn.\n",
    )
  }
}
