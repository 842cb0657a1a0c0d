/**
 * `loopcop/mocha` — a Mocha root hook plugin: `require: ['loopcop/mocha']` in `.mocharc`, or
 * `mocha --require loopcop/mocha`. Every test is checked; one that blocks the event loop fails
 * with the blocking line and the time. Serial and `--parallel`, Mocha 10, 11 and 12.
 *
 * How: a root `beforeAll` (after every spec file loaded) wraps every test's function and every
 * `beforeEach`/`afterEach` hook, once a run (test.ts). A test's scope opens at the first of them
 * Mocha calls for it; its wrapped function fails the test itself — never from a root `afterEach`
 * (that skips every remaining test) nor with `this.test.error()` (that reports it passed and
 * failed). `beforeEach` hooks are part of the test; what an `afterEach` hook blocks on is charged
 * to the test in the run report (Mocha has reported the test by then). No root hook of loopcop's
 * runs for each test. The run report (summary by call site, JSON, GitHub annotations) is made by
 * the global teardown in the main process from what every `--parallel` worker spooled, and printed
 * on stderr: Mocha's one reporter slot and stdout stay the user's. In watch mode each run is
 * reported at its end (serial: the root `afterAll`; `--parallel`: the main process's `Mocha#run`).
 * Configure with `configure()` in a file `require`d next to this one (every worker loads it too),
 * or with `LOOPCOP_*` variables.
 * @module
 */
import { type Completeness, type Options, PARTIAL, type TestSink, assertSupportedRunner, loaderLinesNote, Tries, checkEnvironment, currentOptions, failedNothing, finishRun, firstPartial, firstWarning, install, leakNotice, loadOrderWarning, loadedBefore, outsideScopes, prepareStalls, recordFindings, recordsRun, reportInternalError, reportRun, rewriteMessages, runReported, startRun, lineWriterOf } from '../../src/integration.js'
import { linesUnderMochaTitle } from '../../src/runner/frame-lines.js'
import { firstInProcess } from '../../src/runner/once.js'
import { completeRun, handsOutFiles, parallelWatchMocha, reportsInline, requiredBefore, runsTests, watchesSerially } from './command-line.js'
import { noteTestDefinitions } from './definitions.js'
import { reportEachRun } from './parallel-watch.js'
import { type MochaRunnable, type MochaSuite, OWN, endCurrent, newRun, prepareRun } from './test.js'

// Mocha older than 10: one clear error, before anything is installed.
assertSupportedRunner('Mocha')

/** What `this` is in a root hook: Mocha's context, holding the hook running. */
interface HookContext {
  readonly test?: { readonly parent?: MochaSuite }
}

/** Lines to stderr through its `write` as this module found it, before any test could stub it (`lineWriterOf`). */
const writeStderr = lineWriterOf(process.stderr)

/** loopcop's own output goes to stderr, so `--reporter json` keeps stdout parseable. */
function print(text: string): void {
  outsideScopes(() => writeStderr(text))
}

/**
 * `1` when the run's reporter writes its progress on one line (`reportsInline`): set by the main
 * process at its global set-up, for itself and for its `--parallel` workers, which cannot read the
 * run's options.
 */
const INLINE_ENV = 'LOOPCOP_MOCHA_INLINE'

/** A test's lines, printed as it ends: on a line of their own under a reporter that writes a run's progress on one. */
function printDuringRun(text: string): void {
  print(process.env[INLINE_ENV] === '1' ? `\n${text}` : text)
}

/** The findings of a test's failed tries while Mocha retries it (`retries`), for the run report. */
const tries = new Tries<MochaRunnable>(recordFindings)

/**
 * Where every test's results go: the run recorded in the main process (by the global set-up; a
 * `--parallel` worker's findings reach it through the run's spool), and stderr. A leak — blocking
 * after Mocha reported the test — goes to the run report as failing nothing, and is said once a
 * test's call site.
 */
const sink: TestSink = {
  record: recordFindings,
  print: printDuringRun,
  leak: (finding, mode, first) => {
    recordFindings([failedNothing(finding)])
    if (first && mode !== 'off') printDuringRun(leakNotice(finding, runReported() ? 'reported' : 'unreported'))
  },
}

/**
 * The options in force when Mocha began loading spec files (a `--parallel` worker: the file it is
 * about to run), until the first test after: a spec file's `configure()` is not its own under Mocha.
 */
let optionsBeforeLoading: Options | undefined

/** Mocha loaded a spec file in this process (`it` was assigned). */
let specFilesLoaded = false
/** Mocha ran loopcop's root `beforeAll` hook or its global set-up in this process. */
let hooksRan = false

/**
 * At exit: Mocha loaded spec files here but never ran loopcop's root hook nor its global set-up, so
 * no test was checked, and the run would otherwise end as if loopcop had found nothing. That is
 * Mocha's programmatic API (`new Mocha().run()`), which registers no hooks of a module loaded with
 * `node --require`; or a run that ended before its first test (a spec file that failed to load).
 * (Mocha runs the global set-up under `--dry-run` too.) A `--parallel` worker is left alone.
 */
function warnIfNeverHooked(): void {
  // A `--parallel` worker runs the root hooks for a file with tests; one given a file with none runs none.
  if (!specFilesLoaded || hooksRan || process.env.MOCHA_WORKER_ID !== undefined) return
  print(
    "loopcop: Mocha loaded spec files but never ran loopcop/mocha's root hooks nor its global set-up, so no test was checked for blocking calls. Under Mocha's programmatic API, pass them to Mocha: new Mocha({ rootHooks: mochaHooks, globalSetup: [mochaGlobalSetup], globalTeardown: [mochaGlobalTeardown] }), the three taken from require('loopcop/mocha'). (A run that stopped before its first test, such as a spec file that failed to load, ends here too.)",
  )
}

/** Mocha is about to load a spec file: the options in force are noted, if not already. */
function specFileLoading(): void {
  specFilesLoaded = true
  try {
    optionsBeforeLoading ??= currentOptions()
  } catch (error) {
    internalError(error)
  }
}

/** A test begins: the run has one since its last report (see `watchedRunReported`). */
function testBegan(): void {
  watchedRunReported = false
}

/**
 * Before the root suite's hooks and tests (after every spec file loaded; a `--parallel` worker's
 * file): wraps the run's tests and hooks (`prepareRun`), and says, once a run, that the spec files
 * changed the options, which then hold for the rest of the run, not for the file that changed them.
 */
function rootBeforeAll(this: HookContext): void {
  hooksRan = true
  try {
    const root = this.test?.parent
    if (root !== undefined) {
      rootSuite = root
      prepareRun(root, { sink, tries, began: testBegan })
    }
    const before = optionsBeforeLoading
    optionsBeforeLoading = undefined
    if (before === undefined || before === currentOptions() || !firstWarning('loopcop/mocha: options changed while spec files loaded')) return
    print(
      "loopcop: a spec file changed loopcop's options as Mocha loaded it (configure(), or a LOOPCOP_* variable set): under Mocha that holds for the rest of the run (every spec file loads before the first test; with --parallel, a worker's later files), not for that file alone. Configure in a set-up file listed in --require after loopcop/mocha, and allow blocking in a test with allowBlocking().",
    )
  } catch (error) {
    internalError(error)
  }
}

/** The root suite of this process's run, from its root `beforeAll` (none in `--parallel`'s main process). */
let rootSuite: MochaSuite | undefined

/**
 * Whether every test of this process's run ran through, so that a baseline entry it did not see
 * cannot belong to a test that did not run or stopped before its call (`true`), else why not: `.only`,
 * or a test that did not pass and was not skipped where it is written (a failure, a failing hook
 * that skipped the tests after it, `--bail`, a retried test). In `--parallel`'s main process, where
 * the workers ran the tests, the command line and the runner's failure count decide.
 */
export function ranThrough(root: MochaSuite | undefined = rootSuite): Completeness {
  if (root === undefined) return true
  if (root.hasOnly?.() === true) return '.only'
  const through = (suite: MochaSuite): boolean =>
    (suite.tests ?? []).every((t) => t.pending === true || t.state === 'passed' || t.state === 'pending') && (suite.suites ?? []).every(through)
  return through(root) ? true : 'a test failed, was retried, or did not run'
}

/**
 * Whether the last run of Mocha's watch mode was reported at its end and no test ran since: then
 * the global teardown, when watch mode ends, has nothing left to report.
 */
let watchedRunReported = false

// After the root suite's tests (after every file's, or a `--parallel` worker's file's): a retry
// still awaited (a try failed in a hook, which Mocha does not retry) never comes. In Mocha's watch
// mode the root suite runs again after each change, and the global teardown comes only when watch
// mode ends: each run is reported at its end, and the next one recorded afresh.
function rootAfterAll(this: HookContext): void {
  try {
    endCurrent()
    tries.settle()
    if (!recordsRun() || !watchesSerially()) return
    try {
      // Before Mocha's reporter ends the run (its epilogue comes after this hook), on a line of its own.
      print('')
      reportRecordedRun(true, this.test?.parent)
    } finally {
      newRun()
      rootSuite = undefined
      watchedRunReported = true
      startRun()
    }
  } catch (error) {
    internalError(error)
  }
}

/**
 * `--watch --parallel`, in the main process: a run starts (its findings are not reported yet), or
 * has ended, when it is reported, as serial watch mode's `rootAfterAll` reports its runs, and the
 * next one recorded afresh (its workers, started then, spool there and say their call sites again).
 */
const parallelWatchRuns = {
  began(): void {
    watchedRunReported = false
  },
  ended(failures: unknown): void {
    try {
      if (!recordsRun()) return
      try {
        reportRecordedRun(typeof failures === 'number' && failures > 0 ? PARTIAL.failed : true)
      } finally {
        watchedRunReported = true
        startRun()
      }
    } catch (error) {
      internalError(error)
    }
  },
}

// Throwing from a root hook would skip every remaining test: loopcop's own failures are printed.
function internalError(error: unknown): void {
  reportInternalError(error, 'in the Mocha integration')
}

/** The root hooks Mocha registers from `--require loopcop/mocha`: a run's tests are wrapped before the first, its report made after the last. */
export const mochaHooks: { readonly beforeAll: (this: HookContext) => void; readonly afterAll: (this: HookContext) => void } = {
  beforeAll: rootBeforeAll,
  afterAll: rootAfterAll,
}
for (const hook of Object.values(mochaHooks)) Object.defineProperty(hook, OWN, { value: true })

/** The `uncaughtException` listener of the run's Mocha runner (`runner.uncaught`), under `allow-uncaught`. */
let mochasHandler: unknown

/**
 * Runs once in the main process, before any test and before `--parallel` workers are started:
 * starts recording the run, which the workers started after it send their findings to.
 */
export function mochaGlobalSetup(this: { readonly allowUncaught?: unknown; readonly uncaught?: unknown } | undefined): void {
  hooksRan = true
  // One run report per run, even when both builds of loopcop/mocha are registered (they share the detector).
  if (recordsRun()) return
  startRun()
  // Set or taken away: a run started by a test of another run inherits that run's.
  if (reportsInline()) process.env[INLINE_ENV] = '1'
  else Reflect.deleteProperty(process.env, INLINE_ENV)
  // A test that calls process.exit() ends the run without the teardown: report what is known.
  process.once('exit', reportOnExit)
  // Under `allow-uncaught` Mocha's handler rethrows every uncaught exception (a failing test's
  // too): the process ends there, without 'exit'. Report what is known before it does.
  if (this?.allowUncaught === true) {
    mochasHandler = this.uncaught
    process.on('uncaughtExceptionMonitor', reportBeforeCrash)
  }
}

function reportOnExit(): void {
  if (!recordsRun()) return
  // `--parallel`'s main process runs no test: a worker that crashed ends the run there (axios's
  // ERR_STREAM_PREMATURE_CLOSE), more likely than a test's process.exit().
  const why = handsOutFiles() ? 'a --parallel worker that crashed, or process.exit() in a test?' : 'process.exit() in a test?'
  print(`loopcop: the process is exiting before the end of the run (${why}): the run report holds the findings of the tests that ran.`)
  // Not a run that ran through.
  mochaGlobalTeardown.call({ exited: true })
}

/** An uncaught exception Mocha rethrows under `allow-uncaught`: the process is about to end. */
function reportBeforeCrash(error: unknown): void {
  // A test skipped from a callback (`this.skip()`) throws Mocha's Pending, which it ignores.
  if ((error as { constructor?: { name?: unknown } } | null)?.constructor?.name === 'Pending' || !recordsRun()) return
  // The code under test takes the exception itself, with Mocha's handler taken away meanwhile
  // (winston's ExceptionHandler tests): the process goes on, and so does the run.
  // Mocha's own handler rethrows it (a failing test's error too), and so does Node without any.
  const listeners: unknown[] = process.listeners('uncaughtException')
  if (listeners.length > 0 && typeof mochasHandler === 'function' && !listeners.includes(mochasHandler)) return
  print("loopcop: the process is ending on an uncaught exception (Mocha's allow-uncaught): the run report holds the findings of the tests that ran.")
  mochaGlobalTeardown.call({ exited: true })
}

/** What `this` is in a global teardown: Mocha's runner (serial, or `--parallel`'s, which counts every worker's results). */
interface TeardownContext {
  readonly stats?: { readonly failures?: number }
  /** Called from the `exit` listener: the process is exiting before the end of the run. */
  readonly exited?: true
}

/**
 * Runs once in the main process after every test: prints the run summary, writes the JSON report
 * and annotations. Never throws: Mocha 10 and 11 exit 0 when a global teardown throws, failing
 * tests or not. A report that cannot be written is printed and fails the run through its exit code.
 */
export function mochaGlobalTeardown(this: TeardownContext | undefined): void {
  // Failures anywhere in the run (under --parallel, the workers' too: a file that failed to load, a failing hook, .only).
  const failures = this?.stats?.failures ?? 0
  const stopped = this?.exited === true ? 'the process exited before the end of the run' : failures > 0 ? PARTIAL.failed : true
  try {
    endCurrent()
    tries.settle()
    // Watch mode ends: its last run was reported at its end (unless a change stopped it first).
    if (!recordsRun() || watchedRunReported) return
    reportRecordedRun(stopped)
  } catch (error) {
    print(`loopcop: the run report failed (a bug in loopcop; the run is marked failed so that it is not mistaken for a clean one):\n${error instanceof Error ? error.stack : String(error)}`)
    failTheRun()
  } finally {
    finishRun()
    rootSuite = undefined
    process.removeListener('exit', reportOnExit)
    process.removeListener('uncaughtExceptionMonitor', reportBeforeCrash)
  }
}

/**
 * Reports the run recorded in this process: the summary by call site (on stderr), the JSON report
 * and annotations. `stopped`: whether the run went on to its end (`true`), else why not; `root`:
 * its root suite, for whether its tests ran through. A report that cannot be written is printed and
 * fails the run through its exit code.
 */
function reportRecordedRun(stopped: Completeness, root?: MochaSuite): void {
  const { findings, lost } = finishRun()
  const { report } = currentOptions()
  const { error } = reportRun(findings, { ...(report.json !== undefined && { json: report.json }), ...(report.github !== undefined && { github: report.github }), lost, write: print, complete: () => firstPartial(completeRun, () => stopped, () => ranThrough(root)) })
  // ts-node's ESM loader (graphql-js): the lines in .ts files are the compiled JavaScript's.
  const note = loaderLinesNote(findings)
  if (note !== undefined) print(note)
  if (error !== undefined) {
    print(error.message)
    failTheRun()
  }
}

/**
 * Makes the process exit non-zero (keeping a higher code: Mocha's is the failure count). Mocha sets
 * the exit code itself once the teardown is over: in an `exit` listener it adds after this one
 * (hence the second listener, added later), or with `--exit` through `process.exit()` (whose
 * `exit` listeners, this first one included, may still change the code).
 */
function failTheRun(): void {
  const atLeastOne = (): void => {
    if (Number(process.exitCode ?? 0) === 0) process.exitCode = 1
  }
  process.on('exit', atLeastOne)
  setImmediate(() => process.on('exit', atLeastOne))
}

// A wrong LOOPCOP_* variable stops the run here, while Mocha loads its `--require` modules, with
// the variable named: before, every test ran unchecked and the run could end green.
checkEnvironment('loopcop/mocha')

warnAboutLoadOrder()
process.once('exit', warnIfNeverHooked)

// Mocha prints a failure's message five spaces in and its later lines as they are: loopcop's are
// indented to sit under the first (its numbered findings read as Mocha's numbered failures).
rewriteMessages(linesUnderMochaTitle)

// Patch before the spec files load: a `const { readFileSync } = require('fs')` taken before the
// patch is never seen. `--require` modules load before the spec files.
install()
// Before the spec files load too: Mocha's interfaces assign `it` to the global object for each one.
noteTestDefinitions(specFileLoading)
// The stall watchdog's thread starts now, while Mocha loads the spec files, not at the first test:
// a thread still starting when the process exits holds the exit until it is up (~30 ms of every
// run's wall time, on a run of one short file). Not in `--parallel`'s main process, which runs no test.
if (runsTests()) prepareStalls()
reportEachRun(parallelWatchMocha(), parallelWatchRuns)

/**
 * Says once, in the main process, what was `--require`d before loopcop/mocha and may hold fs
 * functions loopcop cannot see (each `--parallel` worker loads the same list): what the CommonJS
 * module cache holds, and the user's files Mocha's options list before loopcop/mocha (ES modules
 * too, which that cache does not show).
 */
function warnAboutLoadOrder(): void {
  if (process.env.MOCHA_WORKER_ID !== undefined || !firstInProcess('mocha.loadOrderChecked')) return
  const mocharc = (file: string): boolean => /(^|[\\/])\.mocharc\.[cm]?js$/.test(file)
  const cached = loadedBefore(mocharc)
  const listed = requiredBefore()
  const userFiles = [...new Set([...cached.userFiles, ...(listed?.files ?? [])])]
  const fix =
    listed?.loopcopIn === 'configuration'
      ? "Mocha loads the command line's --require (and MOCHA_OPTIONS') before the configuration's: put '--require loopcop/mocha' first on the command line, or move those files into \"require\" of .mocharc, after 'loopcop/mocha'."
      : "Put 'loopcop/mocha' first in --require (or first in \"require\" of .mocharc)."
  const warning = loadOrderWarning({ userFiles }, 'loopcop/mocha', fix)
  if (warning !== undefined) print(warning)
}
