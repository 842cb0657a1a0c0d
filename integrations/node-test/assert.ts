/**
 * `t.assert.doesNotBlock(fn, options?)`: `assertNoBlocking` among node:test's own `t.assert`
 * methods (next to `doesNotThrow` and `doesNotReject`), counted by `t.plan()`. node:test lets
 * modules add assertions with `assert.register()` from Node 22.14 and 23.7; on older versions
 * `assertNoBlocking` from `loopcop` does the same.
 * @module
 */
import * as nodeTest from 'node:test'
import { assertNoBlocking } from './core.js'

/** The options `t.assert.doesNotBlock` takes: those of `assertNoBlocking`. */
export type DoesNotBlockOptions = Parameters<typeof assertNoBlocking>[1]

declare module 'node:test' {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- @types/node declares TestContextAssert in this namespace
  namespace test {
    interface TestContextAssert {
      /**
       * Asserts that `fn` does not block the event loop (loopcop's `assertNoBlocking`): throws an
       * `AssertionError` listing each blocking call; returns a promise for an async `fn`. Registered by
       * `loopcop/node-test` on Node 22.14 and later.
       * @example t.assert.doesNotBlock(() => handler(req))
       * @example await t.assert.doesNotBlock(async () => server.inject('/users'), { allow: ['fs.existsSync'] })
       */
      doesNotBlock(fn: () => PromiseLike<unknown>, options?: DoesNotBlockOptions): Promise<void>
      doesNotBlock(fn: () => unknown, options?: DoesNotBlockOptions): void
    }
  }
}

/** The name `t.assert` knows the assertion by. */
export const ASSERTION = 'doesNotBlock'

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

/**
 * Points an assertion error at the test's line: node:test calls a registered assertion through a
 * function of its own, which `assertNoBlocking` would otherwise show as the first frame.
 */
function fromCaller(error: unknown, site: { stack?: string }): unknown {
  if (!(error instanceof Error) || (error as { operator?: unknown }).operator !== 'assertNoBlocking' || site.stack === undefined || error.stack === undefined) return error
  const code = (error as { code?: unknown }).code
  const header = `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`
  const frames = site.stack.indexOf('\n    at ')
  if (error.stack.startsWith(header) && frames >= 0) error.stack = header + site.stack.slice(frames)
  // node:test's reporters print an error's enumerable properties after its stack: the findings in
  // `actual` would repeat the message as a dump of objects.
  for (const key of ['actual', 'expected']) if (Object.prototype.propertyIsEnumerable.call(error, key)) Object.defineProperty(error, key, { enumerable: false })
  return error
}

/** `t.assert.doesNotBlock`: `this` is the test context node:test calls it on. */
function doesNotBlock(this: unknown, fn: () => unknown, options?: DoesNotBlockOptions): void | Promise<void> {
  const site: { stack?: string } = {}
  // The frame to cut from: node:test's `t.assert.doesNotBlock` (it calls this one).
  const caller = (this as { assert?: Record<string, unknown> } | undefined)?.assert?.[ASSERTION]
  Error.captureStackTrace(site, typeof caller === 'function' ? caller : doesNotBlock)
  // A promise for an async `fn`, whichever overload the types pick.
  const check: (fn: () => unknown, options?: DoesNotBlockOptions) => unknown = assertNoBlocking
  let result: unknown
  try {
    result = check(fn, options)
  } catch (error) {
    throw fromCaller(error, site)
  }
  if (isThenable(result)) {
    return Promise.resolve(result).then(undefined, (error: unknown) => {
      throw fromCaller(error, site)
    })
  }
}

/** Adds `doesNotBlock` to `t.assert` when this Node's test runner can take it; says whether it could. */
export function registerAssertion(): boolean {
  const register = (nodeTest as { assert?: { register?: unknown } }).assert?.register
  if (typeof register !== 'function') return false
  ;(register as (name: string, fn: Function) => void)(ASSERTION, doesNotBlock)
  return true
}
