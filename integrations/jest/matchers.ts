/**
 * `loopcop/jest/matchers`, for Jest's `setupFilesAfterEnv` when only the matcher is wanted:
 * registers `expect(fn).toBlockEventLoop()` and types it for the global `expect` (`@types/jest`)
 * and for `import { expect } from '@jest/globals'`. `loopcop/jest` does the same and warns when
 * loopcop's environment is missing (then no test is checked by itself).
 *
 * ```ts
 * await expect(() => handler(req)).not.toBlockEventLoop()
 * expect(() => fs.readFileSync(file)).toBlockEventLoop()
 * ```
 * @module
 */
import { expect } from '@jest/globals'
import type { MatcherContext, MatcherOptions, MatcherResult } from '../../src/integration.js'
import { type JestCore, publishCore, publishedCore } from './handle.js'
// Not through integration.js, which would evaluate a copy of the core per test file in this realm.
import { assertSupportedRunner } from '../../src/runner/runner-version.js'
import { framesReadIn } from '../../src/runner/frame-lines.js'

/**
 * The core, from loopcop's environment when it runs the tests. Without it (matchers only), this
 * file's CommonJS build loads the core through Jest's registry and publishes it for the rest of
 * the file; the ES module build relies on the CommonJS one having run as a setup file.
 */
function core(): JestCore {
  const published = publishedCore(globalThis)
  if (published !== undefined) return published
  // Only the CommonJS build (what Jest loads as a setup file) has `require`. Taken indirectly, so
  // that the bundler of the ES module build leaves it alone instead of inlining the core here.
  let loaded: JestCore
  try {
    const load = require as (id: string) => unknown
    loaded = load('../../src/integration.js') as JestCore
  } catch (error) {
    throw new Error("loopcop/jest was imported as an ES module before its setup file ran: add 'loopcop/jest' to setupFilesAfterEnv in the Jest config", { cause: error })
  }
  publishCore(globalThis, loaded)
  return loaded
}
assertSupportedRunner('Jest')
core()

const forJest = (result: MatcherResult): MatcherResult => ({ pass: result.pass, message: () => framesReadIn(result.message()) })

expect.extend({
  toBlockEventLoop(this: MatcherContext, received: unknown, options?: MatcherOptions): MatcherResult | Promise<MatcherResult> {
    const result = core().toBlockEventLoop.call(this, received, options)
    // A promise from the realm loopcop runs in (not the test's): `instanceof Promise` would miss it.
    return 'then' in result ? result.then(forJest) : forJest(result)
  },
})

/**
 * Allows blocking: for the rest of the current test without an argument, or only while `fn` runs.
 * @example const cfg = allowBlocking(() => fs.readFileSync('fixture.json', 'utf8'))
 */
export const allowBlocking: JestCore['allowBlocking'] = ((fn?: () => unknown) => {
  if (fn === undefined) {
    core().allowBlocking()
    return undefined
  }
  return core().allowBlocking(fn)
})
export type { MatcherOptions } from '../../src/integration.js'

/** What `toBlockEventLoop` returns: a promise to await when `fn` is async, else the matcher's plain result. */
type BlockResult<Fn, R> = Fn extends (...args: never[]) => PromiseLike<unknown> ? Promise<void> : R

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // Same type parameters as @types/jest's declaration, which this one merges into.
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Matchers<R, T = {}> {
      /**
       * Passes when calling the function blocks the event loop (sync I/O, `execSync`, a `*Sync`
       * crypto/zlib call, `Atomics.wait`). Await it when the function is async. What it finds is
       * this assertion's subject, never charged again to the test.
       * @example await expect(() => handler(req)).not.toBlockEventLoop()
       */
      toBlockEventLoop(options?: MatcherOptions): BlockResult<T, R>
    }
  }
}

declare module 'expect' {
  interface Matchers<R extends void | Promise<void>, T = unknown> {
    /**
     * Passes when calling the function blocks the event loop (sync I/O, `execSync`, a `*Sync`
     * crypto/zlib call, `Atomics.wait`). Await it when the function is async. What it finds is
     * this assertion's subject, never charged again to the test.
     * @example await expect(() => handler(req)).not.toBlockEventLoop()
     */
    toBlockEventLoop(options?: MatcherOptions): BlockResult<T, R>
  }
}
