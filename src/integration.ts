/**
 * What the runner integrations (`integrations/<runner>/`) share, taken from the ONE loopcop
 * instance of the process. Not a public entry point: its shape may change between versions.
 * @module
 */
import { shared } from './core/shared.js'

export { assertSupportedRunner } from './core/runner-version.js'
export { loadOrderWarning, loadedBefore } from './core/load-order.js'

/** Opens a scope (a test's, with `{ test: { name, file } }`) under the current one. */
export const openScope: typeof shared.openScope = shared.openScope
/** Runs a function inside a scope: timers and promise continuations it starts stay in it. */
export const runInScope: typeof shared.runInScope = shared.runInScope
/** The scope of the code running now. */
export const currentScope: typeof shared.currentScope = shared.currentScope
/** Runs a function outside every scope (loopcop's own I/O). */
export const outsideScopes: typeof shared.outsideScopes = shared.outsideScopes
/** Ends a test's scope: `{ findings, error?, warning? }`. */
export const endTest: typeof shared.endTest = shared.endTest
/** Installs the interceptors (idempotent). */
export const install: typeof shared.install = shared.install
/** Patches another realm's `Atomics.wait`. */
export const patchRealm: typeof shared.patchRealm = shared.patchRealm
/** Restores a realm's `Atomics.wait` (so a torn-down Jest test realm can be collected). */
export const unpatchRealm: typeof shared.unpatchRealm = shared.unpatchRealm
/** The options set by `LOOPCOP_*` environment variables (they win over config files). */
export const envOverrides: typeof shared.envOverrides = shared.envOverrides
/** The configuration in force (configure() + environment). */
export const currentOptions: typeof shared.currentOptions = shared.currentOptions
/** Validates options given to an integration (e.g. Jest's testEnvironmentOptions). */
export const validateOptions: typeof shared.validateOptions = shared.validateOptions
/** Merges options into the configuration. */
export const configure: typeof shared.configure = shared.configure
/** Collects findings from every worker, counting each once. */
export const RunCollector: typeof shared.RunCollector = shared.RunCollector
/** Prints the run summary, writes the JSON report, prints annotations. */
export const reportRun: typeof shared.reportRun = shared.reportRun
/** The JSON report of a run. */
export const jsonReport: typeof shared.jsonReport = shared.jsonReport
/** The console summary of a run. */
export const formatSummary: typeof shared.formatSummary = shared.formatSummary
/** The Jest/Vitest matcher `toBlockEventLoop`. */
export const toBlockEventLoop: typeof shared.toBlockEventLoop = shared.toBlockEventLoop
/** Worker → main-process transport of findings through files (Jest, Mocha --parallel). */
export const openSpool: typeof shared.openSpool = shared.openSpool
export const spoolFindings: typeof shared.spoolFindings = shared.spoolFindings
export const readSpool: typeof shared.readSpool = shared.readSpool
export const closeSpool: typeof shared.closeSpool = shared.closeSpool
/** The message format of a failure. */
export const failureMessage: typeof shared.failureMessage = shared.failureMessage
/** Registers a directory whose frames never appear in findings. */
export const addOwnRoot: typeof shared.addOwnRoot = shared.addOwnRoot
/** The error class tests fail with. */
export const BlockingIOError: typeof shared.BlockingIOError = shared.BlockingIOError
/** Allows blocking (rest of the scope, or inside fn). */
export const allowBlocking: typeof shared.allowBlocking = shared.allowBlocking
/** Runs `fn` in an assertion's scope: `{ findings, blocking }`, a promise for an async `fn` (Chai plugin). */
export const checkBlocking: typeof shared.checkBlocking = shared.checkBlocking
/** The numbered list of findings an assertion fails with. */
export const listBlocking: typeof shared.listBlocking = shared.listBlocking

export type { Scope } from './core/scope.js'
export type { TestOutcome } from './core/outcome.js'
export type { Finding, TestRef } from './core/findings.js'
export type { MatcherContext, MatcherResult, MatcherOptions } from './core/matcher.js'
export type { AssertOptions, BlockingCheck } from './core/assert.js'
export type { ScopeOptions, UserOptions, Options } from './core/options.js'
