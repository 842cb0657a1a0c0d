// The detector (docs/architecture.md, "pieces"): ONE object owns every piece of mutable state —
// the configuration, the interceptors, the scopes, the stall monitor, the run being recorded —
// and wires the subsystems together. A process has one (process.ts); tests may build more.
import { isAbsolute, resolve } from 'node:path'
import type { Scope, ScopeKind } from './accounting/scope.js'
import { type BlockingCheck, type DetectResult, type OpenOptions, Scopes } from './accounting/scopes.js'
import { CallRecorder } from './accounting/calls.js'
import { FindingIds } from './accounting/findings.js'
import { Configuration } from './accounting/settings.js'
import { Judge } from './accounting/verdicts.js'
import { builtinRuleList, type BuiltinRule } from './accounting/allow.js'
import { type AssertNoBlocking, createAssertNoBlocking } from './assert/assert.js'
import { type BlockMatcher, createMatcher } from './assert/matcher.js'
import { Interceptors, type MarkOptions } from './intercept/interceptors.js'
import { type LifecycleHost, type TestOptions, type TestOutcome, TestRun, type TestSink, endTest } from './lifecycle.js'
import type { Finding, TestRef } from './model/finding.js'
import { type Operation, catalog } from './model/operation.js'
import { type DetectOptions, type Options, type UserOptions, baselineOf, updateBaselineRequested, watchesStalls } from './model/options.js'
import { BaselineCache, BaselineError, markKnown } from './report/baseline.js'
import { now, setRealImmediate } from './runtime/clock.js'
import { ThreadClock } from './runtime/thread-clock.js'
import { LoadingClock } from './runtime/module-loading.js'
import { type BlockingIOErrorClass, defineBlockingIOError } from './report/errors.js'
import { type JsonReportOptions, writeJsonReport } from './report/json.js'
import { type RecordedRun, type ReportRunOptions, type RunReportResult, RunRecording, reportRun } from './report/run.js'
import { SPOOL_ENV, SpoolWriter, spoolChecked } from './report/spool.js'
import { WARNED_ENV, claimWarning } from './report/warned.js'
import { type AnnotationLevel, githubAnnotations } from './report/summary.js'
import { Guard } from './runtime/guard.js'
import { Stacks } from './stack/capture.js'
import { callerFile } from './stack/callsites.js'
import { stackWithoutOwnFrames } from './stack/frames.js'
import { type ErrorClass, hideOwnSites } from './stack/own-sites.js'
import { StallMonitor } from './stall/monitor.js'
import { Sampler } from './stall/sampler.js'
import { Watchdog } from './stall/watchdog.js'

/** `configure()`: merges options; `configure.reset()` restores the defaults. */
export interface Configure {
  (options: UserOptions): void
  /** Restores the default configuration. */
  reset(): void
}

/** `allowBlocking()` for the rest of the test, `allowBlocking(fn)` only while `fn` runs. */
export interface AllowBlocking {
  (): void
  <T>(fn: () => T): T
}

/** How a detector is made. */
export interface DetectorOptions {
  /** The version of the loopcop copy that made it. */
  readonly version: string
  /** The root of that copy's code (a build folder, or the sources), where the watchdog's worker is. */
  readonly root?: string | undefined
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error)
}

/**
 * How warm the code is when `Detector.whenWarm` tells its tasks: a test has run (`'ran'`), or a test
 * whose blocking calls were judged (`'judged'`: the judging and reporting code has run too).
 */
export type Warmth = 'ran' | 'judged'
/** `Detector.#warmth`'s ranks of each `Warmth`. */
const RAN = 1
const JUDGED = 2

/** One loopcop detector: everything loopcop knows and changes in a process. */
export class Detector implements LifecycleHost {
  readonly version: string
  readonly guard = new Guard()
  readonly config = new Configuration()
  readonly stacks: Stacks
  readonly scopes: Scopes
  readonly interceptors: Interceptors<Scope>
  readonly stalls: StallMonitor
  /** The `BlockingIOError` class every copy of loopcop in the process shares. */
  readonly BlockingIOError: BlockingIOErrorClass
  /** The run this process records (a reporting process: Jest's reporter, Mocha's set-up), if any. */
  #run: RunRecording | undefined
  /** Where this process's findings go when a parent process records the run (a test worker). */
  readonly #spool = new SpoolWriter(now)
  /** The spool folder this process said it checks a test file to (`fileChecked`), once a run. */
  #checkedIn: string | undefined
  /** Call sites `warn` mode has seen in this process (printed by it, or by another process of the run). */
  readonly #warnedSites = new Set<string>()
  /** Internal errors already reported (each once). */
  readonly #reported = new Set<string>()
  #onFindingFailed = false
  /** Baseline files read by this process (each once). */
  readonly #baselines = new BaselineCache()
  /** What the runner makes of this process's `BlockingIOError` messages (see `rewriteMessages`). */
  #rewriteMessage: ((text: string) => string) | undefined
  /** Work told how warm the code is (see `whenWarm`). */
  #whenWarm: ((warmth: Warmth) => void)[] = []
  /** How warm the code is: 0 before a scope has ended, then `RAN` or `JUDGED`. */
  #warmth = 0
  /** Set while telling `#whenWarm` is scheduled and has not run yet. */
  #warming = false
  /** This thread's CPU time in ms (the stall monitor's clock). */
  readonly #cpuMs: () => number

  constructor(options: DetectorOptions) {
    this.version = options.version
    const guard = this.guard
    const internalError = (error: unknown): void => this.reportInternalError(error)
    this.stacks = new Stacks(guard)
    const ids = new FindingIds()
    const tools = { stacks: this.stacks, judge: new Judge(this.stacks), ids }
    this.BlockingIOError = defineBlockingIOError(guard, () => this.#rewriteMessage)
    const recorder = new CallRecorder({ guard, stacks: this.stacks, ids, blockingError: (findings, title) => new this.BlockingIOError(findings, title), internalError, known: (finding) => this.markKnown([finding])[0]?.baselined === true })
    const clock = new ThreadClock(guard)
    this.#cpuMs = () => clock.ms()
    const loading = new LoadingClock({ guard, cpuMs: this.#cpuMs })
    // A probe landing in a `require` reads the module loading, no stall of the scope's (unless it counts module loading): the watchdog looks again.
    const inLoading = (): boolean => loading.loading && this.scopes.current()?.settings.moduleLoading !== true
    const watchdog = new Watchdog<Scope>({ stacks: this.stacks, guard, cpuMs: this.#cpuMs, root: options.root, currentScope: () => this.scopes.current(), inModuleLoading: inLoading, loadingOnStack: (raw, scope) => this.stalls.loadingOnStack(raw, scope), betweenCallbacks: (raw) => this.stalls.betweenCallbacks(raw), internalError })
    this.stalls = new StallMonitor({ guard, clock, loading, stacks: this.stacks, ids, watchdog, sampler: new Sampler(guard), outside: (fn) => this.scopes.outside(fn), internalError })
    this.scopes = new Scopes(tools, this.config, {
      ensureInstalled: () => this.interceptors.install(),
      opened: (scope) => this.stalls.watch(scope),
      closing: (scope) => this.stalls.unwatch(scope),
      allowStarted: (scope) => this.stalls.enterAllowed(scope),
      allowEnded: (scope) => this.stalls.leaveAllowed(scope),
      notify: (finding) => this.#notify(finding),
    })
    this.interceptors = new Interceptors<Scope>(
      // Bound, not an arrow: a bound function has no frame, and V8 walks each frame above a kept call's wrapper to cut it off (see `CallRecorder.record`).
      { scopes: this.scopes.als, strays: this.scopes, guard, onCall: recorder.record.bind(recorder) },
      loading,
      {
        realmPatched: (realmGlobal) => watchdog.installProbe(realmGlobal),
        // The async context tracking costs on every await while on: with loopcop deactivated the
        // process runs as if loopcop were never loaded. A later scope turns it on again.
        uninstalled: () => this.scopes.als.disable(),
        internalError,
      },
    )
  }

  // ── configuration ──────────────────────────────────────────────────────────────────────────

  /** Merges options into the configuration (validated: a wrong or unknown option throws a `TypeError`). */
  readonly configure: Configure = Object.assign(
    (options: UserOptions): void => {
      this.config.configure(options)
      this.#stallsConfigured()
    },
    { reset: (): void => this.config.reset() },
  )

  /** Merges options a runner's configuration gave (`what` names where, for the errors `configure()` throws). */
  readonly configureFrom = (options: unknown, what: string): void => {
    this.config.configure(options as UserOptions, what)
    this.#stallsConfigured()
  }

  /** After a configuration change: a watchdog started ahead of the tests is stopped when stalls are off after all. */
  #stallsConfigured(): void {
    if (!watchesStalls(this.currentOptions())) this.stalls.release()
  }

  /**
   * A test file starts in a process that runs several one after another (a Jest worker, a Vitest
   * worker without isolation): what a test file before it configured is undone (see
   * `Configuration.startFile`).
   */
  readonly startTestFile = (): void => {
    this.config.startFile()
    this.#stallsConfigured()
  }

  /** The configuration in force (configure() + environment). */
  readonly currentOptions = (): Options => this.config.current()

  // ── interceptors ───────────────────────────────────────────────────────────────────────────

  /** Puts the interceptors in place (idempotent). */
  readonly install = (): void => this.interceptors.install()
  /** Restores every original, by identity. */
  readonly uninstall = (): void => this.interceptors.uninstall()
  /** Whether the interceptors are in place. */
  readonly isInstalled = (): boolean => this.interceptors.installed
  /** Watches another realm: its `Atomics.wait` and stalls. */
  readonly patchRealm = (realmGlobal: { Atomics?: unknown }): void => this.interceptors.patchRealm(realmGlobal)
  /** Restores a realm's `Atomics.wait`. */
  readonly unpatchRealm = (realmGlobal: { Atomics?: unknown }): void => this.interceptors.unpatchRealm(realmGlobal)
  /** Declares a method of the user's own as blocking; returns an undo function. */
  readonly markAsBlocking = (target: object, method: string | symbol, options?: MarkOptions): (() => void) => this.interceptors.markAsBlocking(target, method, options)

  // ── scopes ─────────────────────────────────────────────────────────────────────────────────

  /** Opens a scope under the current one. */
  readonly openScope = (kind: ScopeKind, options?: OpenOptions): Scope => this.scopes.open(kind, options)
  /** Ends a scope: its findings. */
  readonly closeScope = (scope: Scope): Finding[] => {
    const findings = this.scopes.close(scope)
    const warmth = findings.length > 0 ? JUDGED : RAN
    if (warmth > this.#warmth) this.#warmer(warmth)
    return findings
  }
  /** Runs a function inside a scope. */
  readonly runInScope = <T>(scope: Scope, fn: () => T): T => this.scopes.run(scope, fn)
  /** The scope of the code running now. */
  readonly currentScope = (): Scope | undefined => this.scopes.current()
  /** Runs a function outside every scope (loopcop's own I/O). */
  readonly outsideScopes = <T>(fn: () => T): T => this.scopes.outside(fn)
  /**
   * Takes loopcop's own frames out of the stack of an error a test failed with (see
   * `stackWithoutOwnFrames`; a frame's relative path is one under the working directory): the
   * runner then shows the failure as it would without loopcop. Only its
   * `stack` text changes, and only when it holds such frames; reading it may source-map (files read:
   * loopcop's own I/O); nothing here throws.
   */
  readonly hideOwnFrames = (error: unknown): void => {
    if (typeof error !== 'object' || error === null) return
    try {
      this.outsideScopes(() =>
        this.guard.hold(() => {
          const stack = (error as { stack?: unknown }).stack
          if (typeof stack !== 'string') return
          // Mocha writes the frames under its working directory relative to it in the error it
          // records (its stack filter): loopcop's own, installed in the project's node_modules, too.
          const cwd = process.cwd()
          const shown = stackWithoutOwnFrames(stack, (file) => this.stacks.isOwnFile(isAbsolute(file) || file.startsWith('node:') ? file : resolve(cwd, file)))
          if (shown !== stack) (error as { stack: string }).stack = shown
        }),
      )
    } catch {
      // A frozen error, a `stack` getter that throws: the failure is shown with loopcop's frames.
    }
  }
  /**
   * Has the stack formatter of a realm (its `Error`: the runner's, or a test realm's) leave loopcop's
   * own frames out of every stack it formats, until the returned function puts it back (see
   * `hideOwnSites`): a runner that prints a stack for each warning a test logs (Jest) prints the one
   * it prints without loopcop. Its time is the runner's, never part of a stall (`Guard.asRunnerWork`).
   */
  readonly hideOwnFramesIn = (errorClass: ErrorClass): (() => void) =>
    hideOwnSites(
      errorClass,
      (file) => this.stacks.isOwnFile(file),
      (format) => this.guard.asRunnerWork(format, this.#cpuMs),
    )
  /**
   * From now on this process's `BlockingIOError` messages go through `rewrite`: a Jest process,
   * where a message's `at` line starts the stack, writes its frame lines `in …` (`framesReadIn`).
   * The error `mode: 'throw'` raises at the call reaches the runner as the code under test threw it,
   * with nothing of the integration's between.
   */
  readonly rewriteMessages = (rewrite: (text: string) => string): void => {
    this.#rewriteMessage = rewrite
  }
  /**
   * Whether this run's findings reach a run summary: this process records the run (Mocha's main
   * process), or loopcop's reporter made the run's spool or folder of printed sites for its test
   * processes. Not without the reporter (Vitest, Jest, node:test), where `warn` mode's lines are all.
   */
  readonly summarized = (): boolean => this.#run !== undefined || Boolean(process.env[SPOOL_ENV]) || Boolean(process.env[WARNED_ENV])
  /**
   * True the first time a `warn` call site is seen in this run: in this process, and in the run's
   * folder of printed sites when whatever reports the run made one (report/warned.ts).
   */
  readonly firstWarning = (site: string): boolean => {
    if (this.#warnedSites.has(site)) return false
    this.#warnedSites.add(site)
    return this.outsideScopes(() => this.guard.hold(() => claimWarning(site)))
  }
  /** Allows blocking: for the rest of the current test, or only while `fn` runs. */
  readonly allowBlocking: AllowBlocking = (<T>(fn?: () => T): T | undefined => this.scopes.allowBlocking(fn))
  /** Runs `fn` in a scope of its own: what it blocked on. */
  readonly detect = <T>(fn: () => T | PromiseLike<T>, options?: DetectOptions): Promise<DetectResult<Awaited<T>>> => this.scopes.detect(fn, options)
  /** `detect()` for synchronous code. */
  readonly detectSync = <T>(fn: () => T, options?: DetectOptions): DetectResult<T> => this.scopes.detectSync(fn, options)
  /** Runs `fn` in an assertion's scope: `{ findings, blocking }`, a promise for an async `fn`. */
  readonly checkBlocking = (fn: unknown, options: unknown, what: string): BlockingCheck | Promise<BlockingCheck> => this.scopes.check(fn, options, what)
  /**
   * Registers files the runner runs as tests (Mocha: every spec file of the run): a call whose
   * caller frame is in one is the tests' own code (`testCode`). The running test's own file always is.
   */
  readonly addTestFiles = (files: Iterable<string>): void => this.scopes.testFiles.add(files)
  /**
   * Registers as a file of tests the file `define` (a runner's test-defining function, `it`) was
   * called from — the nearest frame below it that `skip` does not match — unless it is
   * `specFile`, the file the runner names the test by. Returns the file the call came from, if
   * found. Never throws: a definition it cannot place registers nothing. ~2–3 µs a definition: two
   * frames captured (the caller, or Mocha's `it.skip` or `require('mocha').it` and then the caller),
   * six only when those two are skipped, and nothing more for the file of the definition before.
   * `deep`: the caller is never among the first two frames (Jest's `add_test`, dispatched through
   * jest-circus): six captured at once, one capture, not two (~14 µs a definition under Jest with two).
   */
  readonly addDefiningFile = (define: Function, skip: RegExp, specFile: unknown, deep = false): string | undefined => {
    try {
      const file = (deep ? undefined : callerFile(define, skip, 2)) ?? callerFile(define, skip, 6)
      if (file === undefined || file === specFile || file === this.#lastDefining) return file
      this.#lastDefining = file
      this.scopes.testFiles.add([file])
      return file
    } catch {
      return undefined
    }
  }
  /** The file `addDefiningFile` registered last (the next definition is most often in the same file). */
  #lastDefining: string | undefined
  /** Leaks no live scope or integration took. */
  get orphanLeaks(): Finding[] {
    return this.scopes.orphanLeaks
  }

  // ── assertions ─────────────────────────────────────────────────────────────────────────────

  /** `assertNoBlocking(fn, options?)`. */
  readonly assertNoBlocking: AssertNoBlocking = createAssertNoBlocking(this.checkBlocking)
  /** The `toBlockEventLoop` matcher. */
  readonly toBlockEventLoop: BlockMatcher = createMatcher(this.checkBlocking)

  // ── the test lifecycle ─────────────────────────────────────────────────────────────────────

  /** Opens a test: its body and hooks run in its scope, and it ends with its verdict (lifecycle.ts). */
  readonly openTest = (test: TestRef, options: TestOptions, sink: TestSink): TestRun => new TestRun(this, test, options, sink)
  /** Ends a test's scope with its verdict (the benchmark drives scopes directly). */
  readonly endTest = (scope: Scope, state: { readonly testFailed: boolean }): TestOutcome => endTest(this, scope, state)

  /**
   * Marks the findings the configured baseline records as known. A baseline that cannot be read is
   * said once on stderr and marks nothing (the findings fail as new; the run report fails the run
   * with the same error) — except while `LOOPCOP_UPDATE_BASELINE=1` makes a file that is not there yet.
   */
  readonly markKnown = (findings: readonly Finding[]): readonly Finding[] => {
    if (findings.length === 0) return findings
    const options = this.config.current()
    const configured = baselineOf(options)
    if (configured === undefined) return findings
    const baseline = this.outsideScopes(() => this.#baselines.get(configured.path))
    if (baseline instanceof BaselineError) {
      let updating = false
      try {
        updating = updateBaselineRequested()
      } catch {
        // Said where the environment is checked.
      }
      const absent = (baseline.cause as { code?: unknown } | undefined)?.code === 'ENOENT'
      if (!(updating && absent)) this.reportOnce(`${baseline.message}\nEvery finding counts as new until it can be read.`)
      return findings
    }
    return markKnown(findings, baseline)
  }

  /**
   * Runs `task` once the first scope (a test's) has ended and the task that ended it is done (the
   * code a test runs, and the code of its end, is compiled by then): with `'ran'`, or `'judged'`
   * when that scope judged blocking calls; and once more, with `'judged'`, after the first scope
   * that did, if the first did not. Outside every scope and as loopcop's own work; at once with the
   * warmth reached if a scope has ended already. The core's loader writes its code cache then
   * (runtime/code-cache.ts). A task that throws is dropped for that time.
   */
  readonly whenWarm = (task: (warmth: Warmth) => void): void => {
    // Kept to be told later, or by the turn already scheduled.
    if (this.#warmth < JUDGED || this.#warming) this.#whenWarm.push(task)
    if (this.#warmth > 0 && !this.#warming) this.#tell([task])
  }

  /**
   * The code got warmer (a first scope ended, or a first one that judged calls): `#whenWarm` is told
   * once the task that ended the scope is done — after the test's whole end (its findings marked,
   * its warnings printed, its failure thrown), so that a code cache written then holds that code
   * too; told at the scope's close, it left out ~20 functions every later test file compiled again
   * (bench/README.md, "Twenty-fifth pass"). Through the real `setImmediate`: a test faking timers
   * cannot hold it back.
   */
  #warmer(warmth: number): void {
    this.#warmth = warmth
    if (this.#whenWarm.length === 0 || this.#warming) return
    this.#warming = true
    setRealImmediate(() => {
      this.#warming = false
      const tasks = this.#warmth >= JUDGED ? this.#whenWarm.splice(0) : this.#whenWarm
      this.#tell(tasks)
    })
  }

  #tell(tasks: readonly ((warmth: Warmth) => void)[]): void {
    const warmth: Warmth = this.#warmth >= JUDGED ? 'judged' : 'ran'
    for (const task of tasks) {
      // loopcop's own time: never part of a stall of a test still running (describe.concurrent).
      const t0 = now()
      try {
        this.outsideScopes(() => this.guard.hold(() => task(warmth)))
      } catch {
        // A task's failure costs only what the task was for (the next start's speed).
      } finally {
        this.guard.ownMs += now() - t0
      }
    }
  }

  // ── stalls ─────────────────────────────────────────────────────────────────────────────────

  /** Starts the stall watchdog now, before any test, when stall detection is on (see `StallMonitor.prepare`). */
  readonly prepareStalls = (): void => {
    if (watchesStalls(this.currentOptions())) this.stalls.prepare()
  }

  /**
   * A module evaluation by a loader loopcop does not time ended now, having taken `ms` of wall time
   * of its own (Vite's module runner, told by the Vitest integration): see `StallMonitor.evaluated`.
   */
  readonly moduleEvaluated = (ms: number): void => {
    this.stalls.evaluated(ms)
  }

  /** Whether stalls get a stack here (the watchdog or the sampler can run). */
  readonly stallStacksAvailable = (): boolean => this.stalls.stacksAvailable()

  // ── the run ────────────────────────────────────────────────────────────────────────────────

  /** Starts recording the run in this process (the reporting one); workers started later send their findings to it. */
  readonly startRun = (): void => {
    if (this.#run !== undefined) return
    this.#run = this.outsideScopes(() => new RunRecording())
    // A new run says its call sites again (Jest's watch mode reruns in band in this process).
    this.#warnedSites.clear()
  }
  /** Whether this process records a run. */
  readonly recordsRun = (): boolean => this.#run !== undefined
  /** Whether the findings recorded here reach a run report: this process records the run, or a parent process does (its spool is named). */
  readonly runReported = (): boolean => this.#run !== undefined || (process.env[SPOOL_ENV] ?? '') !== ''
  /**
   * A finished test's findings, for the run report: to the run this process records, else to the one
   * a parent process records. `atOnce`: this process may be stopped before it writes what it holds
   * (see `SpoolWriter.add`).
   */
  readonly recordFindings = (findings: readonly Finding[], atOnce = false): void => {
    if (findings.length === 0) return
    if (this.#run !== undefined) this.#run.add(findings)
    else this.outsideScopes(() => this.#spool.add(findings, atOnce))
  }
  /**
   * Writes the leaked calls held for a parent process's run report now (a Vitest worker at each
   * test file's end: the file after it may run in another process).
   */
  readonly flushRecorded = (): void => {
    if (this.#run === undefined) this.outsideScopes(() => this.#spool.flush())
  }
  /** Ends the run recording: every finding once, and how many were lost on the way. */
  readonly finishRun = (): RecordedRun => {
    const run = this.#run
    this.#run = undefined
    // What this process held for a spool it now reads itself.
    if (run !== undefined) this.outsideScopes(() => this.#spool.flush())
    return run === undefined ? { findings: [], lost: 0, checked: false } : this.outsideScopes(() => run.finish())
  }
  /**
   * Says, to the run report, that loopcop checks a test file in this process (the Jest environment,
   * at each file's start): to the run this process records, else once a process to the parent's
   * spool. A report that heard from no file says that no test file was checked.
   */
  readonly fileChecked = (): void => {
    if (this.#run !== undefined) this.#run.checked()
    else {
      const spool = process.env[SPOOL_ENV] ?? ''
      if (spool === '' || this.#checkedIn === spool) return
      this.#checkedIn = spool
      this.outsideScopes(() => spoolChecked())
    }
  }
  /** Prints the run summary, writes the JSON report, prints annotations (outside every scope). */
  readonly reportRun = (findings: readonly Finding[], options: ReportRunOptions = {}): RunReportResult =>
    this.outsideScopes(() => reportRun(findings, options, this.config.current()))
  /** Writes the JSON report (outside every scope); returns its path. */
  readonly writeJsonReport = (path: string, findings: readonly Finding[], options?: JsonReportOptions): string => this.outsideScopes(() => writeJsonReport(path, findings, options))
  /** GitHub annotations, at `level` or each at the level of the mode that judged it (the configured one when not recorded). */
  readonly githubAnnotations = (findings: readonly Finding[], level?: 'error' | 'warning', cwd?: string): string[] => githubAnnotations(findings, level ?? (this.config.current() satisfies AnnotationLevel), cwd)

  // ── what the public API lists ──────────────────────────────────────────────────────────────

  /** The built-in allow rules. */
  readonly defaults: readonly BuiltinRule[] = builtinRuleList
  /** Every blocking operation loopcop knows. */
  readonly operations: readonly Operation[] = catalog.map((s) => s.operation)

  // ── loopcop's own trouble ──────────────────────────────────────────────────────────────────

  /** Registers a directory whose frames never appear in findings (a copy of loopcop's code). */
  readonly addOwnRoot = (dir: string): void => this.stacks.addOwnRoot(dir)

  /**
   * Reports an error inside loopcop's own bookkeeping on stderr, once per message, never thrown
   * into user code. `where` names the part of loopcop (`in the Jest environment`).
   */
  readonly reportInternalError = (error: unknown, where = ''): void => {
    const text = describeError(error)
    if (this.#reported.has(text)) return
    this.#reported.add(text)
    process.stderr.write(`loopcop: internal error${where === '' ? '' : ` ${where}`} (a bug in loopcop; the code under test was not affected):\n${text}\n`)
  }

  /** Says a message on stderr once per process (outside every scope). */
  readonly reportOnce = (text: string): void => {
    if (this.#reported.has(text)) return
    this.#reported.add(text)
    this.outsideScopes(() => process.stderr.write(`${text}\n`))
  }

  /**
   * Hands a finding to the user's `onFinding`, outside every scope (so its own I/O is never a
   * finding). A throwing callback is reported once on stderr and never reaches the code under test.
   */
  #notify(finding: Finding): void {
    const callback = this.config.onFinding
    if (callback === undefined) return
    try {
      this.scopes.outside(() => callback(finding))
    } catch (error) {
      if (this.#onFindingFailed) return
      this.#onFindingFailed = true
      process.stderr.write(`loopcop: the onFinding callback threw (reported once, later throws are ignored; the code under test is not affected):\n${describeError(error)}\n`)
    }
  }
}
