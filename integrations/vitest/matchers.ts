/**
 * `loopcop/vitest/matchers`: registers `expect(fn).toBlockEventLoop(options?)` (and `.not`) with
 * Vitest, without checking every test. `loopcop/vitest` imports this too.
 * @example await expect(() => handler(req)).not.toBlockEventLoop({ stallMs: 20 })
 * @module
 */
import * as vitest from 'vitest'
import { expect } from 'vitest'
import { type MatcherOptions, assertSupportedRunner, toBlockEventLoop } from '../../src/integration.js'
import { configureFromProvide } from './provided.js'

export type { ProvidedOptions } from './provided.js'

// Before anything Vitest-specific: an older Vitest would fail below with an unrelated TypeError.
// A Vitest with `aroundEach` (4.1 and later) is one loopcop supports, known without resolving and
// reading its package.json: ~0.5 ms of every test file under Vitest (each a fresh worker).
if ((vitest as { aroundEach?: unknown }).aroundEach === undefined) assertSupportedRunner('Vitest')

// The config's `test.provide.loopcop`, before any scope opens (matchers open theirs with it too).
configureFromProvide()

/** The options `toBlockEventLoop` takes: `{ stallMs, allow, traceDepth, moduleLoading }`, added to the configured ones. */
export type ToBlockEventLoopOptions = MatcherOptions

type AnyFunction = (...args: never[]) => unknown

/**
 * What `toBlockEventLoop` returns for a subject of type `F`: a promise to await when `F` returns
 * one (the matcher waits for it), nothing for a synchronous function.
 */
/* eslint-disable @typescript-eslint/no-invalid-void-type -- the result type of Vitest's own `Matchers` (`void | Promise<void>`) */
export type ToBlockEventLoopResult<F> = F extends (...args: never[]) => infer R
  ? [R] extends [PromiseLike<unknown>]
    ? Promise<void>
    : [Extract<R, PromiseLike<unknown>>] extends [never]
      ? void
      : void | Promise<void>
  : void | Promise<void>
/* eslint-enable @typescript-eslint/no-invalid-void-type */

// Vitest 4 declares `Matchers<T = any>`, Vitest 5 `Matchers<R = void | Promise<void>, T = unknown>`:
// a declaration with type parameters merges with one of them only. A declaration without any
// merges with both (every parameter has a default), and the subject's type is read back from the
// assertion the method is called on: `expect<F>()` returns that assertion type in both versions.
type AssertionOf<F> = ReturnType<typeof expect<F>>
type SubjectResult<This> = This extends AssertionOf<infer F> ? (F extends AnyFunction ? ToBlockEventLoopResult<F> : void | Promise<void>) : void | Promise<void>

declare module 'vitest' {
  interface Matchers {
    /**
     * Passes when `fn` blocks the event loop (sync I/O, `execSync`, `*Sync` crypto/zlib, `Atomics.wait`),
     * including in timers and promise continuations it starts; use `.not` to assert it stays async.
     * Awaits an async `fn` (then `await` the assertion). What `fn` blocks on is the matcher's
     * subject and is not charged again to the test.
     * @example await expect(() => handler(req)).not.toBlockEventLoop()
     * @example expect(() => fs.readFileSync(file)).toBlockEventLoop({ allow: ['fs.existsSync'] })
     */
    toBlockEventLoop<This>(this: This, options?: ToBlockEventLoopOptions): SubjectResult<This>
  }
}

expect.extend({ toBlockEventLoop })
