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
import { firstInProcess } from '../../src/runner/once.js'
import { environmentRuns, outsideJest } from './handle.js'

export * from './matchers.js'

// Once per worker process: its other test files would say the same.
// Outside Jest's test environment, ./matchers.js said why nothing is checked.
if (!environmentRuns(globalThis) && !outsideJest(globalThis) && firstInProcess('jest.environmentMissing')) {
  process.stderr.write(
    "loopcop: per-test checking is off: 'loopcop/jest' is in setupFilesAfterEnv, but the tests do not run in loopcop's environment, so a test that blocks the event loop passes.\n" +
      "  Set testEnvironment: 'loopcop/jest/environment' in the Jest config (for jsdom or a custom environment, wrap it with withLoopcop() from 'loopcop/jest/environment'); an --env on Jest's command line replaces it.\n" +
      "  Only the toBlockEventLoop matcher is wanted? Use 'loopcop/jest/matchers' in setupFilesAfterEnv instead, which does not warn.\n",
  )
}
