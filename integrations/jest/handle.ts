/**
 * How `loopcop/jest` (loaded in the test's realm, through Jest's module registry, once per test
 * file) reaches the loopcop core the environment loaded once per worker in the outer realm,
 * without evaluating a copy of the core for every test file: the environment puts this handle on
 * the test's global.
 * @module
 */
import type { allowBlocking, toBlockEventLoop } from '../../src/integration.js'

/** The part of the core the setup file uses. */
export interface JestCore {
  readonly toBlockEventLoop: typeof toBlockEventLoop
  readonly allowBlocking: typeof allowBlocking
}

/** Where on the test realm's global the handle lives. */
export const HANDLE: unique symbol = Symbol.for('loopcop.jest.core') as never

/** Puts the handle on a test realm's global (not enumerable: tests never see it in `Object.keys`). */
export function publishCore(global: object, core: JestCore): void {
  Object.defineProperty(global, HANDLE, { value: core, enumerable: false, configurable: true, writable: false })
}

/** The handle, if loopcop's environment (or an earlier `loopcop/jest` in this realm) published one. */
export function publishedCore(global: object): JestCore | undefined {
  return (global as { [HANDLE]?: JestCore })[HANDLE]
}

/** Where loopcop's environment marks the test realms it runs (not the setup file's own fallback handle). */
const ENVIRONMENT: unique symbol = Symbol.for('loopcop.jest.environment') as never

/** Marks a test realm's global as run by loopcop's environment (per-test checking is on). */
export function markEnvironment(global: object): void {
  Object.defineProperty(global, ENVIRONMENT, { value: true, enumerable: false, configurable: true, writable: false })
}

/** Whether loopcop's environment (or `withLoopcop` around another one) runs this test realm. */
export function environmentRuns(global: object): boolean {
  return (global as { [ENVIRONMENT]?: true })[ENVIRONMENT] === true
}

/** Where `loopcop/jest` marks a realm whose test files run outside Jest's test environment (plain Node, under a runner such as jest-light-runner). */
const OUTSIDE: unique symbol = Symbol.for('loopcop.jest.outside') as never

/** Marks this realm as outside Jest's test environment, for the ES module build loaded after the CommonJS setup file. */
export function markOutside(global: object): void {
  Object.defineProperty(global, OUTSIDE, { value: true, enumerable: false, configurable: true, writable: false })
}

/** Whether `loopcop/jest` found this realm outside Jest's test environment (then it checks nothing). */
export function outsideJest(global: object): boolean {
  return (global as { [OUTSIDE]?: true })[OUTSIDE] === true
}
