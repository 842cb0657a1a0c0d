/**
 * `loopcop/vitest`: add it to `setupFiles` and every test that blocks the event loop fails, with
 * the line and the time it blocked. Also registers `toBlockEventLoop` (see `loopcop/vitest/matchers`).
 *
 * Each test runs in a scope of its own (timers and promise continuations it starts stay in it,
 * under `describe.concurrent` too); its `beforeEach`/`afterEach` hooks count as part of it.
 * Findings travel to `loopcop/vitest/reporter` in the tasks' `meta`.
 * @example export default defineConfig({ test: { setupFiles: ['loopcop/vitest'] } })
 * @module
 */
import fs, * as fsExports from 'node:fs'
import * as vitest from 'vitest'
import type { RunnerTestCase, RunnerTestFile, RunnerTestSuite } from 'vitest'
import { BlockingIOError, type Finding, type LeakCounted, type Mode, TestRefs, type TestRun, currentOptions, envOverrides, failedNothing, flushRecorded, gatheredLeaks, hideOwnFramesIn, install, isViolation, leakNotice, reportInternalError, missingReporterError, openTest, patchRealm, prepareStalls, recordFindings, runReported, startTestFile, testKey, warnOf, warnSiteKey } from '../../src/integration.js'
import { firstInProcess } from '../../src/runner/once.js'
import { watchModuleEvaluations } from './evaluations.js'
import { scopeTestsWithoutAroundEach, suiteArgument } from './fallback.js'
import { REPORTER_KEY, fileMeta, testMeta } from './meta.js'
import './matchers.js'

export type { ProvidedOptions, ToBlockEventLoopOptions, ToBlockEventLoopResult } from './matchers.js'

/**
 * Prints through the test file's console (Vitest shows it with the file's output), with its `warn`
 * as it was before any test code ran: a test's spy on `console.warn` neither records loopcop's
 * lines nor swallows them.
 */
const warn = warnOf(console) ?? ((text: string) => process.stderr.write(`${text}\n`))

// A wrong LOOPCOP_* variable fails each test file here, before its tests, with the variable named
// (instead of the tests running unchecked).
envOverrides()
install()
// Without isolation a worker runs test files one after another: what the one before configured
// (a `configure()` at its top level, say) is undone, as a process of its own would forget it.
startTestFile()
// Atomics is per realm; under `vmThreads` this file runs in the test file's own context.
patchRealm(globalThis)
warnIfCopiedTooEarly()
// Every test file is a fresh process or thread here: start the stall watchdog's thread while
// Vitest loads the test file, not inside its first test (a later configure() that turns stall
// detection off before any test watched stalls stops it again).
prepareStalls()
// A stall in a test that imports a module not loaded yet is the test's only after that module's evaluation.
watchModuleEvaluations()
hideOwnFrames()

/**
 * Vite's source-map support formats the worker's stacks (`Error.prepareStackTrace`, installed before
 * setup files run): the stack of an error a wrapped call throws (`ENOENT` from `fs.readFileSync`),
 * and one a test prints, then leave out the frames of loopcop's wrapper and scope, as without
 * loopcop. Once per formatter: Vite installs its own again after disposing it, without isolation.
 */
function hideOwnFrames(): void {
  try {
    hideOwnFramesIn(globalThis.Error)
  } catch (error) {
    reportInternalError(error, 'in the Vitest setup file')
  }
}

/**
 * The `vmThreads`/`vmForks` pools give each test file copies of `node:fs`' named exports, taken
 * before setup files run: calls through them would go unseen. Says so once per worker. loopcop
 * then runs in the test file's context, where Vite's source maps are not applied to stacks (its
 * `Error.prepareStackTrace` is the worker's own realm's): the lines it reports are the transformed code's.
 * Read through the module namespace, as every module imported after this one sees it: under a
 * browser-like environment (`jsdom`, `happy-dom`) Vite binds this module's own named imports to the
 * values they had when it was imported, before `install()` (unocss: a false warning in `forks`).
 */
function warnIfCopiedTooEarly(): void {
  if (fsExports.readFileSync === fs.readFileSync || !firstInProcess('vitest.preloadWarning')) return
  warn(
    "loopcop: this pool (vmThreads/vmForks) copied node:fs before loopcop/vitest ran, so blocking calls through ESM named imports (import { readFileSync } from 'node:fs') are not seen, and the lines loopcop reports are those of Vite's transformed code.\n" +
      "Load loopcop first: add `execArgv: ['--require', 'loopcop/vitest/preload']` to the `test` options of your Vitest config.",
  )
}

/** A blocking call made after its test ended, with the mode that test was under. */
interface Leak {
  readonly finding: Finding
  readonly failing: boolean
}

// This module runs once per test file (Vitest re-runs setup files for each), so this is per file.
const leaks: Leak[] = []
let fileEnded = false

function testName(task: RunnerTestCase): string {
  if (typeof task.fullTestName === 'string') return task.fullTestName
  const names = [task.name]
  for (let s: RunnerTestSuite | undefined = task.suite; s !== undefined && s.name !== '' && s.file !== s; s = s.suite) names.unshift(s.name)
  return names.join(' > ')
}

/** Each test's ref: tests of a file that share a name are told apart. */
const refs = new TestRefs<RunnerTestCase>()

/** Opens a test: its findings go into its task's meta, for the reporter. */
function open(task: RunnerTestCase): TestRun {
  return openTest(
    refs.of(task, testName(task), task.file.filepath, task.file.projectName === '' ? undefined : task.file.projectName),
    // `test.fails`: failing it would make it pass.
    task.fails === true ? { expectedToFail: true } : {},
    {
      record: (findings) => testMeta(task.meta).findings.push(...findings),
      print: (text) => warn(text),
      leak: onLeak,
    },
  )
}

/** Ends a test: records its findings in the test's meta, prints warnings, throws the failure. */
function finish(task: RunnerTestCase, test: TestRun): void {
  tidyRecordedErrors(task)
  const error = test.finish(task.result?.state === 'fail', undefined, task.result?.errors)
  if (error !== undefined) throw tidyStack(error)
}

/**
 * Vitest prints `message` itself and reads frames from every `at …` line of `stack`, the frames
 * the message lists under each finding included, which would show twice: drop those lines from
 * the copy of the message in `stack` (the real frames follow it). What blocked, for how long and
 * the alternative stay, for reporters that print `stack` (json, junit). Takes an error or
 * Vitest's serialized copy of one.
 */
function tidyStack<E extends { name?: unknown; message?: unknown; stack?: unknown }>(error: E): E {
  const { name, message, stack } = error
  if (typeof name !== 'string' || typeof message !== 'string' || typeof stack !== 'string') return error
  const prefix = `${name}: ${message}`
  if (!stack.startsWith(prefix)) return error
  const kept = message
    .split('\n')
    .filter((line) => !/^\s+at /.test(line))
    .join('\n')
  error.stack = `${name}: ${kept}${stack.slice(prefix.length)}`
  return error
}

/** `mode: 'throw'` errors were thrown into the test and recorded by Vitest: tidy their copies too. */
function tidyRecordedErrors(task: RunnerTestCase): void {
  for (const error of task.result?.errors ?? []) if (error.name === 'BlockingIOError') tidyStack(error)
}

/**
 * Leaks that came after their file's report had gone, where the run has no spool (see `onLeak`): kept
 * for the next file this worker ends (a timer left running under `isolate: false`), whose meta takes
 * them to the run report. One array a worker, shared by each file's copy of this module.
 */
const lateLeaks = ((globalThis as Record<symbol, unknown>)[Symbol.for('loopcop.vitest.lateLeaks')] ??= []) as Finding[]

/** How many late leaks are kept apart before they are gathered by call site. */
const LATE_LEAKS_GATHERED = 1000
let gatherLateAt = LATE_LEAKS_GATHERED

/** The call sites (by test) said after their file ended, so that a leaked interval is said once. */
const saidLate = new Set<string>()

/** The call sites (by test) whose leaks before the file ended failed the file: what is said of their later calls says so. */
const failedFileAt = new Set<string>()

/** A leak's call site, by test: what `saidLate` and `failedFileAt` hold. */
function lateSite(finding: Finding): string {
  return `${testKey(finding.test)}\u0000${warnSiteKey(finding)}`
}

function onLeak(finding: Finding, mode: Mode): void {
  if (mode === 'off') return
  if (fileEnded && runReported()) {
    // Too late to fail anything, and to go with the file's meta: to the run's spool folder, which
    // loopcop's reporter named. Written at once: Vitest stops an isolated file's fork or thread
    // soon after the file ends, without a word to it, and reads what the files sent as the last
    // one ends (a call site's calls past its hundredth are held, and written as the worker ends its
    // next file: a timer left running under `isolate: false`).
    recordFindings([failedNothing(finding)], true)
    sayLate(finding, 'reported')
    return
  }
  if (fileEnded) {
    // Too late to fail anything: it goes to the run report with the next file this worker ends,
    // gathered by call site as it grows (a leaked interval under the worker's last file).
    lateLeaks.push(failedNothing(finding))
    if (lateLeaks.length > gatherLateAt) {
      lateLeaks.splice(0, lateLeaks.length, ...gatheredLeaks(lateLeaks))
      gatherLateAt = Math.max(LATE_LEAKS_GATHERED, 2 * lateLeaks.length)
    }
    sayLate(finding, runHasReporter() === true ? 'next-file' : 'unreported')
    return
  }
  leaks.push({ finding, failing: isViolation(finding) && mode !== 'warn' })
}

/** Says a leak after its file's end here, where it is still seen, once a test's call site. */
function sayLate(finding: Finding, counted: LeakCounted): void {
  if (!isViolation(finding)) return
  const site = lateSite(finding)
  if (saidLate.has(site)) return
  saidLate.add(site)
  warn(leakNotice(finding, counted, true, failedFileAt.has(site)))
}

/**
 * At the end of the file: leaks go into the file's meta (for the run report); in `fail` mode they
 * fail the file, one error per test that left blocking work running.
 */
function settleLeaks(file: RunnerTestFile): void {
  fileEnded = true
  // What earlier files of this worker left running after they ended, held for the run's spool.
  flushRecorded()
  const meta = fileMeta(file.meta)
  const { report, mode, baseline } = currentOptions()
  meta.options = { report, mode, ...(baseline !== undefined && { baseline }) }
  // What earlier files of this worker left running after they ended.
  if (lateLeaks.length > 0) meta.leaks.push(...lateLeaks.splice(0))
  if (leaks.length === 0) return
  // One finding a test's call site (a leaked interval makes one call a tick), failing or not.
  const failing = gatheredLeaks(leaks.filter((l) => l.failing).map((l) => l.finding))
  const other = gatheredLeaks(leaks.filter((l) => !l.failing).map((l) => l.finding))
  meta.leaks.push(...failing, ...other)
  const byTest = new Map<string, { failing: Finding[]; warning: Finding[] }>()
  for (const [list, fails] of [[failing, true], [other, false]] as const) {
    for (const f of list) {
      if (!isViolation(f)) continue
      const name = f.test?.name ?? '(unknown test)'
      let group = byTest.get(name)
      if (group === undefined) byTest.set(name, (group = { failing: [], warning: [] }))
      ;(fails ? group.failing : group.warning).push(f)
    }
  }
  const errors: Error[] = []
  // Said as under the other runners (a leak, too late to fail its test), a test's call site at a time.
  const counted = runHasReporter() === true ? 'reported' : 'unreported'
  for (const [name, group] of byTest) {
    // One heading a test, its call sites listed under it (tsconfck: nine headings for one test).
    if (group.warning.length > 0) warn(leakNotice(group.warning, counted))
    if (group.failing.length === 0) continue
    for (const f of group.failing) failedFileAt.add(lateSite(f))
    errors.push(tidyStack(new BlockingIOError(group.failing, name)))
  }
  leaks.length = 0
  const [only] = errors
  if (errors.length === 1 && only !== undefined) throw only
  if (errors.length > 1) throw new AggregateError(errors, `loopcop: ${errors.length} tests left work running that blocked the event loop after they ended`)
}

/** How to load loopcop's reporter in a Vitest run (what the error of a run without it says). */
const ADD_REPORTER =
  "Add 'loopcop/vitest/reporter' to `reporters` in the Vitest config (`reporters: ['default', 'loopcop/vitest/reporter']`). " +
  'A `--reporter` on the command line replaces the config\'s reporters: name it there too (`--reporter=default --reporter=loopcop/vitest/reporter`).'

/** Whether the run has loopcop's reporter (it `provide`s REPORTER_KEY); `undefined` where Vitest has no `inject` to tell. */
function runHasReporter(): boolean | undefined {
  const inject = (vitest as { inject?: (key: string) => unknown }).inject
  return typeof inject === 'function' ? inject(REPORTER_KEY) === true : undefined
}

/**
 * Before the file's tests: a JSON report or a baseline to write asked for by the run's environment
 * (`LOOPCOP_REPORT`, `LOOPCOP_UPDATE_BASELINE=1`) in a run without loopcop's reporter fails the
 * file, as it would be dropped without a word. Options in the config do not: an editor's runs
 * replace the config's reporters. Where Vitest has no `inject`, it cannot be told, and nothing fails.
 */
vitest.beforeAll(function checkReporter() {
  if (runHasReporter() !== false) return
  const error = missingReporterError(currentOptions(), 'loopcop/vitest', ADD_REPORTER, process.env, 'environment')
  if (error !== undefined) throw error
})

vitest.afterAll(function settle() {
  // eslint-disable-next-line prefer-rest-params
  const suite = suiteArgument(arguments)
  if ('filepath' in suite) settleLeaks(suite)
})

// `aroundEach` (Vitest 4.1+) runs the test, its beforeEach/afterEach hooks and onTestFinished
// callbacks inside our function, so one `AsyncLocalStorage.run` covers all of it.
// LOOPCOP_VITEST_AROUND_EACH=0 forces the fallback used on Vitest versions without it.
const aroundEach = process.env.LOOPCOP_VITEST_AROUND_EACH === '0' ? undefined : (vitest as { aroundEach?: typeof vitest.aroundEach }).aroundEach

if (aroundEach !== undefined) {
  // `{ task }`, not `context`: Vitest 4.1 parses this parameter as a fixtures pattern.
  aroundEach(async (runTest, { task: test }) => {
    const task = test as RunnerTestCase
    const run = open(task)
    try {
      await run.run(runTest)
    } catch (error) {
      // Vitest's runTest() records the test's errors itself and resolves; this is Vitest failing.
      run.end(true)
      throw error
    }
    finish(task, run)
  })
} else {
  scopeTestsWithoutAroundEach(open, finish)
}
