/**
 * node:test's tests as loopcop tests. A test's scope holds its `beforeEach` hooks, its body (sync,
 * promise or `done` callback) and what they start; its verdict fails the test from the body, so the
 * runner shows the `BlockingIOError` itself. The `afterEach` hooks run after the body has settled,
 * in a second scope of the same test, whose verdict fails the test from loopcop's root `afterEach`
 * (node:test runs it last, and reports "failed running afterEach hook" with the `BlockingIOError`
 * as its cause). Subtests (`t.test`) are tests of their own; suite (`describe`) bodies and the
 * `before`/`after` hooks of suites belong to no test and are not checked.
 * @module
 */
import { type Finding, type Mode, type TestRef, TestRefs, type TestRun, type TestSink, failedNothing, isDependency, isThenable, leakNotice, openTest, outsideScopes } from './core.js'
import { type NodeTestContext, type RunFunction, definedIn } from './internals.js'

/** Where the tests of a process send what concerns the run. */
export interface Sink {
  /** As each test begins, before its scope opens: a configuration problem throws here and fails the test. */
  beginning(): void
  /** Findings for the run report (allowed ones included). */
  record(findings: readonly Finding[]): void
  /** Something that can no longer be said on a test (it has been reported). */
  late(text: string): void
}

interface TestState {
  readonly ctx: NodeTestContext
  readonly ref: TestRef
  /** The test's `beforeEach` hooks and body. */
  readonly body: TestRun
  /** Its `afterEach` hooks, once the body has settled. */
  tail?: TestRun
  /** `body` until the body settles, `tail` during the `afterEach` hooks, then `done`. */
  phase: 'body' | 'tail' | 'done'
  /** The body failed (with `error`, where node:test gave it: not a timeout or a failed `beforeEach`). */
  failed?: { readonly error?: unknown }
}

/** On loopcop's own root hooks: they run in no test's scope. */
const OWN = Symbol.for('loopcop.node-test.own')

/** `fn` running in `test`'s scope, with the `this` and arguments it is called with. */
function within(test: TestRun, fn: Function): Function {
  return function loopcopScoped(this: unknown, ...args: unknown[]): unknown {
    return test.run((): unknown => Reflect.apply(fn, this, args))
  }
}

/**
 * Calls `call`, then `run`'s verdict once what it returned has settled (at once, or when its promise
 * does): after a pass, the error `finish` returns is thrown, so that it fails the test the function
 * belongs to; a throw or rejection is passed on as `finishFailed` says (`TestRun.finishFailed`).
 */
function finishedAfter(call: () => unknown, run: { finish(failed: boolean): Error | undefined; finishFailed(error: unknown): unknown }): unknown {
  let result: unknown
  try {
    result = call()
  } catch (error) {
    throw run.finishFailed(error)
  }
  const passed = (value: unknown): unknown => {
    const error = run.finish(false)
    if (error !== undefined) throw error
    return value
  }
  if (!isThenable(result)) return passed(result)
  return Promise.resolve(result).then(passed, (reason: unknown) => {
    throw run.finishFailed(reason)
  })
}

/** The tests of one process (a test file's, or the whole run's with `--test-isolation=none`). */
export class NodeTestLifecycle {
  readonly #sink: Sink
  /** By the test's context `t`: what node:test passes to the test's hooks and body. */
  readonly #states = new WeakMap<object, TestState>()
  /**
   * Tests the root `afterEach` ended, by context: node:test runs a test's own `t.after()` hooks
   * after every `afterEach`, still as part of the test (an error there fails it).
   */
  readonly #ended = new WeakMap<object, TestState>()
  /** The tests begun and not yet ended, for `endAll()`. */
  readonly #open = new Set<TestState>()
  /** Each test's ref: tests of a file that share a name are told apart. */
  readonly #refs = new TestRefs<NodeTestContext>()

  constructor(sink: Sink) {
    this.#sink = sink
    for (const hook of [this.beforeEach, this.afterEach]) Object.defineProperty(hook, OWN, { value: true })
  }

  /** The root `beforeEach` (node:test runs it first): opens the test. */
  readonly beforeEach = (t: NodeTestContext): void => {
    this.#sink.beginning()
    // The file the test was defined in (node:test names it so), else the file node:test ran: also
    // when a dependency defined it (marked's specs, run by @markedjs/testutils' `runTests`).
    const defined = definedIn(t)
    const file = (defined !== undefined && !isDependency(defined) ? defined : undefined) ?? t.filePath ?? process.argv[1] ?? defined
    const ref = this.#refs.of(t, t.fullName ?? t.name, file)
    const state: TestState = { ctx: t, ref, body: openTest(ref, this.#testSink(t)), phase: 'body' }
    this.#states.set(t, state)
    this.#open.add(state)
  }

  /**
   * The root `afterEach` (node:test runs it last): ends the test, and fails it when its
   * `afterEach` hooks blocked. Also ends a test whose body never settled (a failed `beforeEach`, a
   * timeout): that test has failed already; its findings go to the run report.
   */
  readonly afterEach = (t: NodeTestContext): void => {
    const state = this.#states.get(t)
    if (state === undefined) return
    this.#states.delete(t)
    this.#ended.set(t, state)
    const error = this.#end(state)
    if (error !== undefined) throw error
  }

  /** Routes every test, hook and suite function of node:test (see `internals.ts`). */
  readonly run: RunFunction = (runnable, fn, thisArg, args, proceed) => {
    const state = typeof thisArg === 'object' && thisArg !== null ? this.#states.get(thisArg) : undefined
    if (state === undefined && runnable.hookType === 'after' && !(OWN in fn)) {
      const ended = typeof thisArg === 'object' && thisArg !== null ? this.#ended.get(thisArg) : undefined
      if (ended !== undefined) return this.#runAfterHook(ended, fn, args, proceed)
    }
    if (state === undefined || state.phase === 'done' || OWN in fn) return proceed(fn, args)
    if (runnable.hookType !== undefined) return proceed(within(this.#hookRun(state), fn), args)
    if (state.phase !== 'body') return proceed(fn, args)
    return this.#runBody(state, fn, args, proceed)
  }

  /**
   * Ends every test still open (the process is exiting: `process.exit()` in a test); returns the
   * errors they would have failed with (a test that blocked in `fail` mode).
   */
  endAll(): Error[] {
    const errors: Error[] = []
    for (const state of [...this.#open]) {
      const body = state.phase === 'body' ? state.body.finish(false) : undefined
      const tail = this.#end(state)
      for (const error of [body, tail]) if (error !== undefined) errors.push(error)
    }
    return errors
  }

  /** The body, in the test's scope; its verdict fails the test from here. */
  #runBody(state: TestState, fn: Function, args: readonly unknown[], proceed: (fn: Function, args: readonly unknown[]) => unknown): unknown {
    const body = within(state.body, fn)
    const done = args.length > 1 ? args[args.length - 1] : undefined
    if (typeof done === 'function') {
      // `(t, done) => …`: node:test added its callback last. The verdict goes to it.
      const verdictFirst = (err?: unknown, ...rest: unknown[]): unknown => {
        const error = err ? this.#bodyFailed(state, err) : this.#finishBody(state, false)
        // An error made while the body ran in loopcop's scope: its frames out, as from a throw.
        if (err) state.body.hideOwnFrames(error)
        return Reflect.apply(done, undefined, [error, ...rest])
      }
      try {
        return proceed(body, [...args.slice(0, -1), verdictFirst])
      } catch (error) {
        throw this.#bodyFailed(state, error)
      }
    }
    return finishedAfter(() => proceed(body, args), { finish: (failed) => this.#finishBody(state, failed), finishFailed: (error) => this.#bodyFailed(state, error) })
  }

  /**
   * A test's own `t.after()` hook, run after the root `afterEach` ended the test: in a scope of its
   * own, whose verdict fails the test from the hook (node:test fails a test whose `after` hook throws).
   */
  #runAfterHook(state: TestState, fn: Function, args: readonly unknown[], proceed: (fn: Function, args: readonly unknown[]) => unknown): unknown {
    const run = openTest(state.ref, this.#testSink(state.ctx))
    return finishedAfter(() => proceed(within(run, fn), args), this.#afterFailure(state, run))
  }

  /**
   * How a run of a test's hooks ends once the body has failed: node:test keeps a test's first error
   * and drops a hook's, so what the hooks blocked on in `fail` mode is said beside the test's own
   * error, as for the body (`TestRun.finishFailed`), not thrown for nothing (pino-pretty's trial:
   * a `t.after()`'s blocking call was missing from a failed test's output). Else `run` as it is.
   */
  #afterFailure(state: TestState, run: TestRun): { finish(failed: boolean): Error | undefined; finishFailed(error: unknown): unknown } {
    const failed = state.failed
    if (failed === undefined) return run
    return {
      finish: () => {
        run.finishFailed(failed.error)
        return undefined
      },
      finishFailed: (error) => {
        run.finishFailed(failed.error)
        return error
      },
    }
  }

  /** Where a hook of the test runs: in its body's scope, or once the body has settled, its tail's. */
  #hookRun(state: TestState): TestRun {
    if (state.phase === 'body') return state.body
    state.tail ??= openTest(state.ref, this.#testSink(state.ctx))
    return state.tail
  }

  /** Moves the test from its body to its tail, once: whether this call did. */
  #endBody(state: TestState): boolean {
    if (state.phase !== 'body') return false
    state.phase = 'tail'
    return true
  }

  /** Ends the body's part of the test; returns the error to fail it with. Later calls do nothing. */
  #finishBody(state: TestState, testFailed: boolean): Error | undefined {
    return this.#endBody(state) ? state.body.finish(testFailed) : undefined
  }

  /** Ends the body's part of a test that failed with `error`; returns what to fail it with (`TestRun.finishFailed`); later calls: `error`. */
  #bodyFailed(state: TestState, error: unknown): unknown {
    state.failed ??= { error }
    return this.#endBody(state) ? state.body.finishFailed(error) : error
  }

  /** Ends whatever is still open of a test; returns the error its `afterEach` hooks fail it with. */
  #end(state: TestState): Error | undefined {
    this.#open.delete(state)
    if (state.phase === 'body') {
      // Never settled: a `beforeEach` failed, or the test timed out.
      state.failed ??= {}
      this.#finishBody(state, true)
    }
    state.phase = 'done'
    const tail = state.tail
    return tail === undefined ? undefined : this.#afterFailure(state, tail).finish(false)
  }

  /**
   * A test's results: findings to the run report, a `warn` message on the test itself, a diagnostic
   * a line: node:test's reporters write a diagnostic as one line (spec: `ℹ` and its text, whose
   * later lines then sat at column 0 between the tests' lines; TAP: one `#` line with `\n` in it).
   */
  #testSink(t: NodeTestContext): TestSink {
    return {
      record: (findings) => {
        this.#sink.record(findings)
      },
      print: (text) => {
        try {
          for (const line of text.split('\n')) t.diagnostic(line)
        } catch {
          this.#sink.late(text)
        }
      },
      leak: (finding, mode, first) => {
        this.#leaked(finding, mode, first)
      },
    }
  }

  /**
   * Work a test left running blocked after the test ended: too late to fail it, so it is said, once
   * a call site (`first`); the run report counts every call.
   */
  #leaked(finding: Finding, mode: Mode, first: boolean): void {
    this.#sink.record([failedNothing(finding)])
    if (!first || mode === 'off') return
    this.#sink.late(outsideScopes(() => leakNotice(finding, 'reported')))
  }
}
