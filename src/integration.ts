/**
 * What the runner integrations (`integrations/<runner>/`) share: the test lifecycle of the ONE
 * detector of the process (docs/architecture.md, "lifecycle"), the run report, and the checks an
 * integration makes when it loads. Not a public entry point: its shape may change between versions.
 * @module
 */
import { detector, isUnjudged, leakExplainedKey, leakMessage } from './core.js'
import type { Finding } from './model/finding.js'
import type { LeakCounted } from './report/messages.js'

export {
  PARTIAL,
  loaderLinesNote,
  unmappedLinesNote,
  gatheredLeaks,
  testKey,
  quotedName,
  warnSiteKey,
  RunCollector,
  RunRecording,
  OPTION_KEYS,
  SCOPE_OPTION_KEYS,
  Tries,
  WARNED_ENV,
  assertSupportedRunner,
  unsupportedRunner,
  checkEnvironment,
  envOverrides,
  failedItsTest,
  failedNothing,
  failureMessage,
  firstPartial,
  isGiven,
  formatSummary,
  isThenable,
  isViolation,
  jsonReport,
  copyOwnProperties,
  keepShape,
  defineHidden,
  listBlocking,
  loadOrderWarning,
  loadedBefore,
  missingReporterError,
  validateOptions,
  warnOf,
  lineWriterOf,
  projectCwd,
  now,
  isDependency,
  givenFlags,
  nodeFlags,
  TestRefs,
  whenSettled,
} from './core.js'

// ── the test lifecycle ──────────────────────────────────────────────────────────────────────────

/** Opens a test (`{ name, file }`): `run()` its body and hooks in its scope, then `finish()` with its verdict. */
export const openTest: typeof detector.openTest = detector.openTest
/** Registers files the runner runs as tests, for the "test code" rule (the running test's own file always counts). */
export const addTestFiles: typeof detector.addTestFiles = detector.addTestFiles
/** Registers the file a test-defining function was called from as a file of tests (Mocha: a file a spec file loads that calls `it`). */
export const addDefiningFile: typeof detector.addDefiningFile = detector.addDefiningFile
/** True the first time `site` (a warn call site, or another once-a-run warning's key) is said in this run, across its processes. */
export const firstWarning: typeof detector.firstWarning = detector.firstWarning
/**
 * What is printed of work a test left running that blocked after the test ended (`leakMessage`):
 * where its calls are counted and how to allow them said the first time the run says a leak so,
 * across its processes; later leaks only that they came too late to fail their test.
 */
export function leakNotice(leaked: Finding | readonly Finding[], counted: LeakCounted, fileEnded = false, failedFile = false): string {
  const findings: readonly Finding[] = Array.isArray(leaked) ? leaked : [leaked as Finding]
  // A call not judged has nothing to allow: it leaves the explanation to the first judged one.
  const explain = findings.every(isUnjudged) || firstWarning(leakExplainedKey(counted, fileEnded))
  return leakMessage(findings, counted, fileEnded, explain, failedFile)
}
/** Allows blocking (rest of the scope, or inside fn). */
export const allowBlocking: typeof detector.allowBlocking = detector.allowBlocking
/** Reports loopcop's own failure once, on stderr, never into user code. */
export const reportInternalError: typeof detector.reportInternalError = detector.reportInternalError
/** Runs a function outside every scope (loopcop's own output). */
export const outsideScopes: typeof detector.outsideScopes = detector.outsideScopes

// ── set-up ──────────────────────────────────────────────────────────────────────────────────────

/** Installs the interceptors (idempotent). */
export const install: typeof detector.install = detector.install
/** Watches another realm (a Jest test context): its `Atomics.wait` and stalls. */
export const patchRealm: typeof detector.patchRealm = detector.patchRealm
/** Restores a realm's `Atomics.wait` (so a torn-down Jest test realm can be collected). */
export const unpatchRealm: typeof detector.unpatchRealm = detector.unpatchRealm
/** Takes loopcop's own frames out of an error's stack text (an error a runner made inside a call of loopcop's). */
export const hideOwnFrames: typeof detector.hideOwnFrames = detector.hideOwnFrames
/** Has a realm's stack formatter leave loopcop's own frames out, until the returned function puts it back. */
export const hideOwnFramesIn: typeof detector.hideOwnFramesIn = detector.hideOwnFramesIn
/** From now on this process's `BlockingIOError` messages go through a runner's rewrite (Jest's frame lines). */
export const rewriteMessages: typeof detector.rewriteMessages = detector.rewriteMessages
/** Starts the stall watchdog ahead of the first test when stall detection is on (per-file runners). */
export const prepareStalls: typeof detector.prepareStalls = detector.prepareStalls
/** A module evaluation by a loader loopcop does not time (Vite's module runner) ended now, having taken `ms` of its own: left out of a stall. */
export const moduleEvaluated: typeof detector.moduleEvaluated = detector.moduleEvaluated
/** Merges options into the configuration. */
export const configure: typeof detector.configure = detector.configure
/** Merges options a runner's configuration gave (Vitest's `test.provide.loopcop`), validated as `configure()` validates. */
export const configureFrom: typeof detector.configureFrom = detector.configureFrom
/** A test file starts: what the test files before it in this process configured is undone. */
export const startTestFile: typeof detector.startTestFile = detector.startTestFile
/** The configuration in force (configure() + environment). */
export const currentOptions: typeof detector.currentOptions = detector.currentOptions

// ── assertions ──────────────────────────────────────────────────────────────────────────────────

/** The Jest/Vitest matcher `toBlockEventLoop`. */
export const toBlockEventLoop: typeof detector.toBlockEventLoop = detector.toBlockEventLoop
/** Runs `fn` in an assertion's scope: `{ findings, blocking }`, a promise for an async `fn` (Chai plugin). */
export const checkBlocking: typeof detector.checkBlocking = detector.checkBlocking
/** The error class tests fail with. */
export const BlockingIOError: typeof detector.BlockingIOError = detector.BlockingIOError

// ── the run ─────────────────────────────────────────────────────────────────────────────────────

/** Starts recording the run in the reporting process; test workers started after it send their findings to it. */
export const startRun: typeof detector.startRun = detector.startRun
/** Whether this process records the run. */
export const recordsRun: typeof detector.recordsRun = detector.recordsRun
/** Whether the findings recorded here reach a run report (this process records it, or a parent process does). */
export const runReported: typeof detector.runReported = detector.runReported
/** A finished test's findings (or a leak), for the run report, wherever the run is recorded. */
export const recordFindings: typeof detector.recordFindings = detector.recordFindings
/** Writes the leaked calls held for a parent process's run report now (a Vitest worker at a test file's end). */
export const flushRecorded: typeof detector.flushRecorded = detector.flushRecorded
/** Says that loopcop checks a test file in this process, for the run report (the Jest environment). */
export const fileChecked: typeof detector.fileChecked = detector.fileChecked
/** Ends the run recording: every finding once, how many were lost, and whether any test file was checked. */
export const finishRun: typeof detector.finishRun = detector.finishRun
/** Prints the run summary, writes the JSON report, prints annotations. */
export const reportRun: typeof detector.reportRun = detector.reportRun

export type { TestRun, TestSink, TestOutcome, TestOptions } from './lifecycle.js'
export type { BlockingCheck } from './accounting/scopes.js'
export type { Finding, TestRef } from './model/finding.js'
export type { Mode } from './model/mode.js'
export type { MatcherContext, MatcherResult, MatcherOptions } from './assert/matcher.js'
export type { AssertOptions, ScopeOptions, UserOptions, Options } from './model/options.js'
export type { RecordedRun } from './report/run.js'
export type { LeakCounted } from './report/messages.js'
export type { Completeness } from './model/completeness.js'
