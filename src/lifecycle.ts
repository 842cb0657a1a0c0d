// The test lifecycle the three runner adapters share (docs/architecture.md, "lifecycle"): open a
// test's scope, run its body and hooks in it, finish with its verdict, route what it left running
// (leaks) and loopcop's own failures. Each adapter keeps only what is specific to its runner: when
// its runner starts and ends a test, and how it fails one.
import type { Scope } from './accounting/scope.js'
import type { OpenOptions } from './accounting/scopes.js'
import { type Finding, type TestRef, isUnjudged, isViolation, quotedName } from './model/finding.js'
import type { Mode } from './model/mode.js'
import type { ScopeOptions } from './model/options.js'
import { isNativePromise, promiseThen } from './runtime/functions.js'
import { type BlockingIOErrorClass, LoopcopInternalError } from './report/errors.js'
import { LATER_CALLS_SAID, NO_STACK_SAID, failureMessage, newSiteWarning, repeatedStallWarning, warnSiteKey } from './report/messages.js'

/** How a test's scope ended, for a runner adapter to act on. */
export interface TestOutcome {
  /** Every finding of the test, allowed ones included. */
  readonly findings: readonly Finding[]
  /** Fail the test with this (`fail` mode, or loopcop's own failure). */
  readonly error?: Error
  /** Print this and let the test pass (`warn` mode). */
  readonly warning?: string
}

/** Where a test's results go: the runner adapter's side of the lifecycle. Called outside every scope. */
export interface TestSink {
  /** The findings of a finished test, allowed ones included: for the run report. */
  record(findings: readonly Finding[]): void
  /** Something to tell the user (a `warn` mode message). */
  print(text: string): void
  /**
   * A finding after the test ended (work it left running), with the mode that judges it. `first`:
   * the first of this test's violations at its call site. A leaked interval calls again and again:
   * only the first is to be printed, the run report counts every one.
   */
  leak(finding: Finding, mode: Mode, first: boolean): void
}

/** How to open a test. */
export interface TestOptions {
  /** Options of its own (a Jest test file's). */
  readonly overrides?: ScopeOptions | undefined
  /** Who gave `overrides`, for option errors. */
  readonly what?: string
  /** A test expected to fail (Vitest's `test.fails`, Jest's `test.failing`): checked as `warn` mode checks (see `OpenOptions.expectedToFail`). */
  readonly expectedToFail?: boolean
}

/** What the lifecycle needs of its detector. */
export interface LifecycleHost {
  readonly BlockingIOError: BlockingIOErrorClass
  openScope(kind: 'test', options: OpenOptions): Scope
  closeScope(scope: Scope): Finding[]
  runInScope<T>(scope: Scope, fn: () => T): T
  outsideScopes<T>(fn: () => T): T
  /** Marks the findings the baseline records as known (`baselined: true`): they never fail a test. */
  markKnown(findings: readonly Finding[]): readonly Finding[]
  /** True the first time a `warn` call site (see `warnSiteKey`) is seen in this run (by any of its processes that share a folder of printed sites), false after. */
  firstWarning(site: string): boolean
  /** Whether the run's findings reach a run summary and JSON report (loopcop's reporter is there). */
  summarized(): boolean
  /** Takes loopcop's own frames out of the stack of an error a test failed with. */
  hideOwnFrames(error: unknown): void
}

function modeOf(f: Finding, scope: Scope): Mode {
  return f.kind === 'stall' ? scope.settings.stallMode : scope.settings.mode
}

/** How a test ended, as its runner says: whether it failed, and (where the runner gives them: Vitest, Jest) with which errors. */
export interface TestEnd {
  readonly testFailed: boolean
  readonly errors?: readonly unknown[]
  /**
   * The runner has reported the test already (Mocha's `afterEach` hooks): nothing can fail it, so
   * every violation is said as `warn` mode says it, once a call site in the run.
   */
  readonly reported?: boolean
}

/**
 * Ends a test's scope and decides: `fail` findings become a `BlockingIOError`, `warn` ones a
 * printed warning. A call refused in `throw` mode already failed the test, unless the test
 * swallowed the error (`testFailed: false`), in which case it fails the test here — and so when
 * the test failed with errors none of which is a `BlockingIOError` (the code under test caught the
 * refusal and failed another way: socket.io's server answered 400).
 */
export function endTest(host: LifecycleHost, scope: Scope, state: TestEnd): TestOutcome {
  const own = state.errors === undefined ? undefined : blockingIOErrors(state.errors)
  const refusalShown = state.testFailed && (own === undefined || own.length > 0)
  // Which refusals the errors show, where they can be read: one the code under test caught (a `try`
  // around a `realpathSync`) was shown nowhere but the run summary when a later one failed the test (commander).
  const shown = refusalShown && own !== undefined ? shownRefusals(own, scope) : undefined
  const findings = host.markKnown(host.closeScope(scope))
  const title = scope.test?.name
  // A test the runner has reported already fails nothing: its findings are said as `warn` mode says them.
  const modeFor = (f: Finding): Mode => (state.reported === true ? 'warn' : modeOf(f, scope))
  const failing: Finding[] = []
  const warning: Finding[] = []
  // Calls that were not judged never fail a test; they are listed with the findings that do.
  const unjudged: Finding[] = []
  for (const f of findings) {
    if (f.allowed) continue
    if (isUnjudged(f)) {
      unjudged.push(f)
      continue
    }
    if (!isViolation(f)) continue
    const mode = modeFor(f)
    if (mode === 'warn') warning.push(f)
    else if (mode === 'fail' || mode === 'throw') {
      if (f.kind === 'sync-io' && f.raised && refusalShown && (shown === undefined || shown.has(warnSiteKey(f)))) continue
      failing.push(f)
    }
  }
  // Listed with what the test's message says, whichever it is: an unjudged stall under `stallMode:
  // 'warn'` in a test that failed over its calls went unsaid until the summary (simple-git).
  if (failing.length > 0 || warning.length > 0) {
    const failsHere = failing.length > 0
    for (const f of unjudged) {
      const mode = modeFor(f)
      if (mode === 'off') continue
      const said = failsHere && (mode === 'fail' || mode === 'throw') ? failing : warning
      said.push(f)
    }
  }
  const internal = scope.internalErrors[0]
  const error = internal !== undefined ? new LoopcopInternalError('loopcop failed while recording a blocking call', { cause: internal }) : failing.length > 0 ? new host.BlockingIOError(failing, title) : undefined
  return {
    findings,
    ...(error !== undefined && { error }),
    ...(warning.length > 0 && warningText(host, warning, title)),
  }
}

/**
 * loopcop's `BlockingIOError`s among a test's errors (by name: Vitest gives serialized copies),
 * there or in their `cause`, an `AggregateError`'s `errors`, Jest's `[error, asyncError]` pair.
 */
function blockingIOErrors(error: unknown, into: { findings?: unknown; message?: unknown }[] = [], depth = 0): { findings?: unknown; message?: unknown }[] {
  if (depth > 5 || typeof error !== 'object' || error === null) return into
  if (Array.isArray(error)) {
    for (const e of error) blockingIOErrors(e, into, depth + 1)
    return into
  }
  try {
    const e = error as { name?: unknown; cause?: unknown; errors?: unknown; findings?: unknown; message?: unknown }
    if (e.name === 'BlockingIOError') into.push(e)
    blockingIOErrors(e.cause, into, depth + 1)
    if (Array.isArray(e.errors)) for (const x of e.errors) blockingIOErrors(x, into, depth + 1)
  } catch {
    // A getter of the user's that throws: not loopcop's error.
  }
  return into
}

/**
 * The call sites (`warnSiteKey`) of the refusals (`mode: 'throw'`) that `errors`, loopcop's errors
 * among a test's, show: their findings, or, for a serialized copy without them (Vitest's), the
 * refusal `scope` raised with that message. `undefined` when one is neither: then every refusal is
 * taken as shown.
 */
function shownRefusals(errors: readonly { findings?: unknown; message?: unknown }[], scope: Scope): Set<string> | undefined {
  const sites = new Set<string>()
  for (const e of errors) {
    const raised = typeof e.message === 'string' ? scope.refusals?.get(e.message) : undefined
    const findings = Array.isArray(e.findings) && e.findings.length > 0 ? (e.findings as Finding[]) : raised !== undefined ? [raised] : undefined
    if (findings === undefined) return undefined
    for (const f of findings) sites.add(warnSiteKey(f))
  }
  return sites
}

/**
 * What `warn` mode prints at the end of a test: one short line per call site not seen before in
 * the run (a suite that calls one site from 500 tests prints it once, not 500 times; across
 * processes when the run has a folder of printed sites, `firstWarning`), the first of the run
 * saying where later calls go; every finding still goes to the run summary and the JSON report. A
 * stall is printed in full with the frames that were running the first time one is at its line in
 * the run, and in one line after (`repeatedStallWarning`).
 */
function warningText(host: LifecycleHost, findings: readonly Finding[], title: string | undefined): { warning?: string } {
  const lines: string[] = []
  const stalls: Finding[] = []
  const again: Finding[] = []
  for (const f of findings) {
    if (f.kind === 'stall') {
      // A stall charged to a line is printed in full the first time one is at that line in the run.
      ;(f.location === undefined || isUnjudged(f) || host.firstWarning(warnSiteKey(f)) ? stalls : again).push(f)
      continue
    }
    if (!host.firstWarning(warnSiteKey(f))) continue
    const explain = host.firstWarning(isUnjudged(f) ? NO_STACK_SAID : LATER_CALLS_SAID)
    lines.push(`loopcop (warn): ${newSiteWarning(f, title, host.summarized(), explain)}`)
  }
  if (stalls.length > 0) lines.push(`loopcop (warn): ${failureMessage(stalls, title)}`)
  for (const f of again) lines.push(`loopcop (warn): ${repeatedStallWarning(f, title)}`)
  return lines.length === 0 ? {} : { warning: lines.join('\n') }
}

/**
 * One try of one test, as loopcop checks it: a scope its body and hooks run in (and the timers and
 * promise continuations they start), ended once with the test's verdict.
 */
export class TestRun {
  readonly #host: LifecycleHost
  readonly #scope: Scope
  readonly #sink: TestSink

  constructor(host: LifecycleHost, readonly test: TestRef, options: TestOptions, sink: TestSink) {
    this.#host = host
    this.#sink = sink
    // Opened outside every scope: a runner may start a test inside a previous test's continuation.
    const scope = host.outsideScopes(() => host.openScope('test', { test, overrides: options.overrides, ...(options.what !== undefined && { what: options.what }), ...(options.expectedToFail === true && { expectedToFail: true }) }))
    // The call sites this test's leaks were said at (a leaked interval makes one call a tick); made
    // at the first leak, not for every test.
    let said: Set<string> | undefined
    scope.onLeak = (finding) =>
      host.outsideScopes(() => {
        const judged = host.markKnown([finding])[0] ?? finding
        const site = isViolation(judged) ? warnSiteKey(judged) : undefined
        const first = site !== undefined && !(said ??= new Set()).has(site)
        if (first) said?.add(site)
        sink.leak(judged, modeOf(finding, scope), first)
      })
    this.#scope = scope
  }

  /** Whether the test's verdict is in (no more of its work is charged to it, only leaked). */
  get ended(): boolean {
    return this.#scope.ended
  }

  /**
   * Runs `fn` (the test's body, a hook, the runner's whole test) in the test's scope. What it throws,
   * or the native promise it returns rejects with, is the same error, with loopcop's own frames (the
   * scope `fn` ran in) taken out of its stack: the runner shows the failure as it would without
   * loopcop. Other thenables are returned untouched (calling `then` on one may start its work).
   */
  run<T>(fn: () => T): T {
    let result: T
    try {
      result = this.#host.runInScope(this.#scope, fn)
    } catch (error) {
      this.#host.hideOwnFrames(error)
      throw error
    }
    // Registered before the runner's own handler, so it runs first; it settles its own promise.
    if (isNativePromise(result)) void promiseThen.call(result, undefined, (error: unknown) => this.#host.hideOwnFrames(error))
    return result
  }

  /**
   * Takes loopcop's own frames out of the stack of an error the test reports without throwing it
   * (`done(err)` with an error made while the test's body ran), as `run` does for what it throws.
   */
  hideOwnFrames(error: unknown): void {
    this.#host.hideOwnFrames(error)
  }

  /** Ends the test and returns its verdict, recording and printing nothing; `undefined` when it had ended already. */
  end(testFailed: boolean, errors?: readonly unknown[]): TestOutcome | undefined {
    if (this.#scope.ended) return undefined
    return endTest(this.#host, this.#scope, errors === undefined ? { testFailed } : { testFailed, errors })
  }

  /**
   * Ends a test the runner has reported already (the part of a Mocha test its `afterEach` hooks
   * run in), as `end` does: nothing can fail it, so its verdict holds no error for what it found
   * (only for loopcop's own failure), and a warning for each call site not said before in the run
   * (typedoc in `fail` mode: a fixture's `rmSync` in an `afterEach` printed a failure message
   * after each of 26 tests).
   */
  endReported(): TestOutcome | undefined {
    if (this.#scope.ended) return undefined
    return endTest(this.#host, this.#scope, { testFailed: false, reported: true })
  }

  /**
   * Ends the test: its findings go to the run report (to `record` instead when given, with whether
   * this try failed, by the runner or by loopcop: a runner that retries, see report/tries.ts), a
   * `warn` message is printed, and the error to fail the test with (if any) is returned. Later
   * calls do nothing. `errors`: what the test failed with, where the runner gives it (see `endTest`).
   */
  finish(testFailed: boolean, record?: (findings: readonly Finding[], failed: boolean) => void, errors?: readonly unknown[]): Error | undefined {
    const outcome = this.end(testFailed, errors)
    if (outcome === undefined) return undefined
    this.#host.outsideScopes(() => {
      if (record !== undefined) record(outcome.findings, testFailed || outcome.error !== undefined)
      else if (outcome.findings.length > 0) this.#sink.record(outcome.findings)
      if (outcome.warning !== undefined) this.#sink.print(outcome.warning)
    })
    return outcome.error
  }

  /**
   * Ends a test that failed with `error` (as `finish(true, record)`), for a runner that shows one
   * error a test (Mocha, node:test), and returns what to fail it with: `error`, or, when `error` is
   * a refusal of this test's own (`mode: 'throw'`) that the test let through, loopcop's error naming
   * every call the test had refused — one its code caught before (a `try` around a read) too, as a
   * test that passed would have it named. An assertion's error (`detect()`, `assertNoBlocking`)
   * and the test's own are left as they are; what loopcop found beside them is printed, unless
   * `say` is false (`error` is no failure: Mocha's `this.skip()` throws).
   */
  finishFailed(error: unknown, record?: (findings: readonly Finding[], failed: boolean) => void, say = true): unknown {
    if (!this.#isOwnRefusal(error)) {
      // The runner shows one error, the test's own: what loopcop found beside it is said apart (a
      // refusal the code caught before it failed another way; blocking calls in `fail` mode), as
      // Vitest and Jest show it as a second error. Before, only the run summary had it.
      const found = this.finish(true, record, [error])
      if (found !== undefined && say) this.#host.outsideScopes(() => this.#sink.print(`loopcop: ${quotedName(this.test.name)} failed with an error of its own, which the runner shows alone; what loopcop found in it is in the run summary, and here:\n${found.message}`))
      return error
    }
    return this.finish(false, record) ?? error
  }

  #isOwnRefusal(error: unknown): boolean {
    if (!(error instanceof this.#host.BlockingIOError)) return false
    const findings = error.findings
    const test = this.test
    return findings.length > 0 && findings.every((f) => f.kind === 'sync-io' && f.raised && f.test?.name === test.name && f.test.file === test.file)
  }
}
