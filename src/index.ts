/**
 * loopcop — make Node.js test suites catch code that blocks the event loop.
 *
 * The core API, taken from the ONE detector of the process (docs/architecture.md). Runner
 * integrations: `loopcop/vitest`, `loopcop/jest`, `loopcop/mocha`.
 * @module
 */
import { detector } from './core.js'
import type { BlockingIOError as BlockingIOErrorInstance, BlockingIOErrorClass } from './report/errors.js'

/**
 * Merges options into the configuration (validated: a wrong or unknown option throws a `TypeError`).
 * `configure.reset()` restores the defaults.
 * @example configure({ mode: 'warn', stallMs: 50, allow: ['fs.existsSync', { package: 'pino' }] })
 */
export const configure: typeof detector.configure = detector.configure

/**
 * Runs `fn` (sync or async) in a scope of its own and resolves to `{ findings, blocking, value }`.
 * Never prints and never throws because of a finding.
 * @example const { blocking } = await detect(() => handler(req))
 */
export const detect: typeof detector.detect = detector.detect

/** `detect()` for synchronous code: returns `{ findings, blocking, value }` at once. */
export const detectSync: typeof detector.detectSync = detector.detectSync

/**
 * Asserts that `fn` does not block the event loop (`node:assert` style): throws an `AssertionError` listing each blocking call; returns a promise for an async `fn`.
 * @example await assertNoBlocking(() => handler(req), { allow: ['fs.existsSync'] })
 */
export const assertNoBlocking: typeof detector.assertNoBlocking = detector.assertNoBlocking

/**
 * Allows blocking: for the rest of the current test without an argument, or only while `fn` runs.
 * @example const cfg = allowBlocking(() => fs.readFileSync('fixture.json', 'utf8'))
 */
export const allowBlocking: typeof detector.allowBlocking = detector.allowBlocking

/**
 * Declares a method of your own as blocking (a native addon's, a sync client's). Returns an undo function.
 * @example markAsBlocking(Database.prototype, 'exec', { id: 'better-sqlite3.exec', hint: 'run it in a worker thread' })
 */
export const markAsBlocking: typeof detector.markAsBlocking = detector.markAsBlocking

/** Puts the interceptors in place (done for you by `detect()` and the runner integrations). Idempotent. */
export const activate: typeof detector.install = detector.install

/** Removes every interceptor, restoring the original functions by identity. */
export const deactivate: typeof detector.uninstall = detector.uninstall

/** Whether the interceptors are in place. */
export const isActive: typeof detector.isInstalled = detector.isInstalled

/** Wraps `Atomics.wait` of another realm (a `vm` context) too. */
export const patchRealm: typeof detector.patchRealm = detector.patchRealm

/** The error a test fails with when it blocked the event loop; `findings` lists what it did. */
export const BlockingIOError: BlockingIOErrorClass = detector.BlockingIOError
/** The error a test fails with when it blocked the event loop; `findings` lists what it did. */
export type BlockingIOError = BlockingIOErrorInstance

/** The built-in allow rules (the runners' own machinery), always on. */
export const defaults: typeof detector.defaults = detector.defaults

/** Every blocking operation loopcop knows: id, category and the async alternative. */
export const operations: typeof detector.operations = detector.operations

export type { Finding, SyncIoFinding, StallFinding, TestRef, Location, Frame } from './model/finding.js'
export type { Options, UserOptions, ScopeOptions, DetectOptions, TestCodeMode, Mode, AllowRule, AllowRuleObject, ReportOptions } from './model/options.js'
export type { Operation, Category } from './model/operation.js'
export type { DetectResult } from './accounting/scopes.js'
export type { MarkOptions } from './intercept/interceptors.js'
export type { BuiltinRule } from './accounting/allow.js'
export type { JsonReport, JsonFinding } from './report/json.js'
export type { BlockingIOErrorClass } from './report/errors.js'
