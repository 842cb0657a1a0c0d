/**
 * loopcop — make Node.js test suites catch code that blocks the event loop.
 *
 * The core API. Runner integrations: `loopcop/vitest`, `loopcop/jest`, `loopcop/mocha`.
 * @module
 */
import { shared } from './core/shared.js'

/**
 * Merges options into the configuration (validated: a wrong or unknown option throws a `TypeError`).
 * `configure.reset()` restores the defaults.
 * @example configure({ mode: 'warn', stallMs: 50, allow: ['fs.existsSync', { package: 'pino' }] })
 */
export const configure: typeof shared.configure = shared.configure

/**
 * Runs `fn` (sync or async) in a scope of its own and resolves to `{ findings, blocking, value }`.
 * Never prints and never throws because of a finding.
 * @example const { blocking } = await detect(() => handler(req))
 */
export const detect: typeof shared.detect = shared.detect

/** `detect()` for synchronous code: returns `{ findings, blocking, value }` at once. */
export const detectSync: typeof shared.detectSync = shared.detectSync

/**
 * Asserts that `fn` does not block the event loop (`node:assert` style): throws an `AssertionError` listing each blocking call; returns a promise for an async `fn`.
 * @example await assertNoBlocking(() => handler(req), { allow: ['fs.existsSync'] })
 */
export const assertNoBlocking: typeof shared.assertNoBlocking = shared.assertNoBlocking

/**
 * Allows blocking: for the rest of the current test without an argument, or only while `fn` runs.
 * @example const cfg = allowBlocking(() => fs.readFileSync('fixture.json', 'utf8'))
 */
export const allowBlocking: typeof shared.allowBlocking = shared.allowBlocking

/**
 * Declares a method of your own as blocking (a native addon's, a sync client's). Returns an undo function.
 * @example markAsBlocking(Database.prototype, 'exec', { id: 'better-sqlite3.exec', hint: 'run it in a worker thread' })
 */
export const markAsBlocking: typeof shared.markAsBlocking = shared.markAsBlocking

/** Puts the interceptors in place (done for you by `detect()` and the runner integrations). Idempotent. */
export const activate: typeof shared.install = shared.install

/** Removes every interceptor, restoring the original functions by identity. */
export const deactivate: typeof shared.uninstall = shared.uninstall

/** Whether the interceptors are in place. */
export const isActive: typeof shared.isInstalled = shared.isInstalled

/** Wraps `Atomics.wait` of another realm (a `vm` context) too. */
export const patchRealm: typeof shared.patchRealm = shared.patchRealm

/** The error a test fails with when it blocked the event loop; `findings` lists what it did. */
export const BlockingIOError: typeof shared.BlockingIOError = shared.BlockingIOError
/** The error a test fails with when it blocked the event loop; `findings` lists what it did. */
export type BlockingIOError = InstanceType<typeof shared.BlockingIOError>

/** The built-in allow rules (the runners' own machinery), always on. */
export const defaults: typeof shared.builtinRuleList = shared.builtinRuleList

/** Every blocking operation loopcop knows: id, category and the async alternative. */
export const operations: readonly (typeof shared.catalog)[number]['operation'][] = shared.catalog.map((s) => s.operation)

export type { Finding, SyncIoFinding, StallFinding, TestRef } from './core/findings.js'
export type { Options, UserOptions, ScopeOptions, Mode, AllowRule, AllowRuleObject, ReportOptions } from './core/options.js'
export type { Operation, Category } from './core/operations.js'
export type { DetectResult } from './core/scope.js'
export type { MarkOptions } from './core/intercept.js'
export type { Location, Frame } from './core/stack.js'
export type { BuiltinRule } from './core/allow.js'
export type { JsonReport, JsonFinding } from './core/report.js'
