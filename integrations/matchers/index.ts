/**
 * `loopcop/matchers` — the raw matcher functions, for `expect.extend` on an `expect` of your own
 * (Jest's or Vitest's), as `@testing-library/jest-dom/matchers` does. Importing it registers
 * nothing: no global `expect.extend`, no per-test enforcement.
 *
 * ```ts
 * import * as matchers from 'loopcop/matchers'
 * expect.extend(matchers)
 * // or: import { toBlockEventLoop } from 'loopcop/matchers'; expect.extend({ toBlockEventLoop })
 * await expect(() => handler(req)).not.toBlockEventLoop()
 * ```
 *
 * Types of `expect(fn).toBlockEventLoop()` come from the runner entries without running them:
 * add `"loopcop/vitest/matchers"` (Vitest) or `"loopcop/jest"` (Jest) to `types` in `tsconfig.json`.
 * @module
 */
import { type MatcherContext, type MatcherOptions, type MatcherResult, toBlockEventLoop as coreMatcher } from '../../src/integration.js'
import { framesReadIn } from '../../src/runner/frame-lines.js'

export type { MatcherContext, MatcherOptions, MatcherResult } from '../../src/integration.js'

/**
 * Jest cuts a failure message at its first line that reads like a stack frame, and loopcop's
 * messages list frames: under Jest (which sets `JEST_WORKER_ID` in every test process, in band
 * included) they are written `in fn (file:1:2)`, as `loopcop/jest` writes them.
 */
const forRunner = (result: MatcherResult): MatcherResult => (process.env.JEST_WORKER_ID === undefined ? result : { pass: result.pass, message: () => framesReadIn(result.message()) })

/**
 * `expect(fn).toBlockEventLoop(options?)`: passes when calling `fn` blocks the event loop (sync
 * I/O, `execSync`, a `*Sync` crypto/zlib call, `Atomics.wait`), including in the timers and
 * promise continuations it starts; use `.not` to assert it stays async. Await the assertion when
 * `fn` is async. What `fn` blocks on is the assertion's subject, never charged again to the test.
 * @example expect.extend({ toBlockEventLoop }); await expect(() => handler(req)).not.toBlockEventLoop({ stallMs: 20 })
 */
export function toBlockEventLoop(this: MatcherContext, received: unknown, options?: MatcherOptions): MatcherResult | Promise<MatcherResult> {
  const result = coreMatcher.call(this, received, options)
  // Under Jest the core may run in another realm (loopcop's environment): `instanceof Promise` would miss its promise.
  return 'then' in result ? result.then(forRunner) : forRunner(result)
}
