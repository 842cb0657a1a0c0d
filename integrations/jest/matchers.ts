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
import type { expect as JestExpect } from '@jest/globals'
import type { MatcherContext, MatcherOptions, MatcherResult } from '../../src/integration.js'
import { firstInProcess } from '../../src/runner/once.js'
import { type JestCore, markOutside, outsideJest, publishCore, publishedCore } from './handle.js'
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
/** Where this file runs: what it can register the matcher on. */
type Realm =
  /** Jest's test environment, reached through its module registry (the CommonJS build). */
  | { readonly kind: 'jest'; readonly expect: typeof JestExpect }
  /**
   * The ES module build, which has no `require`: the CommonJS setup file registered the matcher for
   * this test file; registered again on the global `expect`, if there is one, for a test file that
   * imports this file with no setup file (loopcop's environment published the core).
   */
  | { readonly kind: 'module'; readonly expect: typeof JestExpect | undefined }
  /** Plain Node: a Jest `runner` such as jest-light-runner runs test files without Jest's test environment, where `@jest/globals` throws. */
  | { readonly kind: 'outside' }

/** Tells where this file runs by asking Jest's module registry for `@jest/globals`, which only Jest's test environment serves. */
function realm(): Realm {
  if (outsideJest(globalThis)) return { kind: 'outside' }
  let load: (id: string) => unknown
  try {
    load = require as (id: string) => unknown
  } catch {
    const global = (globalThis as { expect?: Partial<typeof JestExpect> }).expect
    return { kind: 'module', expect: typeof global?.extend === 'function' ? (global as typeof JestExpect) : undefined }
  }
  try {
    return { kind: 'jest', expect: (load('@jest/globals') as { expect: typeof JestExpect }).expect }
  } catch (error) {
    if (/outside of the Jest test environment/.test(String((error as Error | undefined)?.message))) return { kind: 'outside' }
    throw new Error("loopcop/jest could not load Jest's `expect` from @jest/globals (is the Jest config's runner Jest's own?)", { cause: error })
  }
}

const here = realm()
if (here.kind === 'outside') {
  markOutside(globalThis)
  // Once per worker process (per thread): its other test files would say the same.
  if (firstInProcess('jest.outsideEnvironment')) {
    process.stderr.write(
      "loopcop: nothing is checked: the test files run outside Jest's test environment (the Jest config's runner, jest-light-runner for one, runs them in plain Node), where loopcop cannot tell one test from the next.\n" +
        '  expect(fn).toBlockEventLoop() is not registered, and allowBlocking(fn) only calls fn. loopcop checks tests under Jest\'s own runner (jest-runner).\n',
    )
  }
} else {
  assertSupportedRunner('Jest')
  core()
}

const forJest = (result: MatcherResult): MatcherResult => ({ pass: result.pass, message: () => framesReadIn(result.message()) })

if (here.kind !== 'outside') {
  here.expect?.extend({
    toBlockEventLoop(this: MatcherContext, received: unknown, options?: MatcherOptions): MatcherResult | Promise<MatcherResult> {
      const result = core().toBlockEventLoop.call(this, received, options)
      // A promise from the realm loopcop runs in (not the test's): `instanceof Promise` would miss it.
      return 'then' in result ? result.then(forJest) : forJest(result)
    },
  })
}

/**
 * Allows blocking: for the rest of the current test without an argument, or only while `fn` runs.
 * @example const cfg = allowBlocking(() => fs.readFileSync('fixture.json', 'utf8'))
 */
export const allowBlocking: JestCore['allowBlocking'] = ((fn?: () => unknown) => {
  // Outside Jest's test environment nothing is checked, so there is nothing to allow.
  if (here.kind === 'outside') return fn?.()
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
