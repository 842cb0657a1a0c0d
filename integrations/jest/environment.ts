/**
 * `loopcop/jest/environment`: Jest's node environment, with every test function run in a loopcop
 * scope so that a test which blocks the event loop fails with the blocking line and time.
 *
 * ```js
 * // jest.config.js
 * module.exports = {
 *   testEnvironment: 'loopcop/jest/environment',
 *   testEnvironmentOptions: { loopcop: { mode: 'fail', allow: ['fs.existsSync'] } },
 *   setupFilesAfterEnv: ['loopcop/jest'],
 * }
 * ```
 *
 * Another environment (jsdom, a custom one) gets the same per-test checking through `withLoopcop`:
 * ```js
 * // loopcop-jsdom.environment.js, then testEnvironment: './loopcop-jsdom.environment.js'
 * const { withLoopcop } = require('loopcop/jest/environment')
 * module.exports = withLoopcop(require('jest-environment-jsdom').TestEnvironment)
 * ```
 * @module
 */
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment'
// Found where the user's install put it (Yarn PnP hides an undeclared peer): see base-environment.ts.
import { NodeEnvironment } from './base-environment.js'
import {
  type Finding,
  SCOPE_OPTION_KEYS,
  type ScopeOptions,
  Tries,
  type TestRun,
  type TestSink,
  TestRefs,
  addDefiningFile,
  allowBlocking,
  assertSupportedRunner,
  configure,
  currentOptions,
  failedNothing,
  envOverrides,
  fileChecked,
  hideOwnFramesIn,
  install,
  leakNotice,
  missingReporterError,
  openTest,
  outsideScopes,
  patchRealm,
  recordFindings,
  reportInternalError,
  rewriteMessages,
  runReported,
  startTestFile,
  toBlockEventLoop,
  unpatchRealm,
  validateOptions,
  keepShape,
  warnOf,
} from '../../src/integration.js'
import { framesReadIn } from '../../src/runner/frame-lines.js'
import { markEnvironment, publishCore } from './handle.js'
import { type CircusHandler, EVENT_HANDLERS, foldHandler } from './handlers.js'
import { type CircusEvent, type CircusHook, type CircusState, type CircusTest, RETRY_TIMES, concurrentTests, isGeneratorFunction, testName } from './circus.js'

/** A Jest project's `displayName` (a string, or `{ name, color }` once Jest has read the config), when it has one. */
function projectName(displayName: unknown): string | undefined {
  const name: unknown = typeof displayName === 'object' && displayName !== null ? (displayName as { name?: unknown }).name : displayName
  return typeof name === 'string' && name !== '' ? name : undefined
}

/** Docblock pragmas a test file may carry, and the option each one sets. */
const PRAGMAS = { 'loopcop-mode': 'mode', 'loopcop-stall-ms': 'stallMs', 'loopcop-stall-mode': 'stallMode' } as const

/**
 * The per-test options of one test file: `testEnvironmentOptions.loopcop`, then the file's docblock
 * pragmas. `LOOPCOP_MODE`, `LOOPCOP_STALL_MS` and `LOOPCOP_STALL_MODE` win over both, so CI can
 * change the modes without editing the config.
 */
function fileOptions(config: JestEnvironmentConfig, context: EnvironmentContext): ScopeOptions {
  const given: unknown = (config.projectConfig.testEnvironmentOptions as Record<string, unknown> | undefined)?.loopcop
  const valid = explained('testEnvironmentOptions.loopcop in the Jest config', () => validateOptions(given, undefined, 'testEnvironmentOptions.loopcop'))
  if (valid.onFinding !== undefined) configure({ onFinding: valid.onFinding })
  // The baseline is the run's: every test file of the project judges against it.
  if (valid.baseline !== undefined) configure({ baseline: valid.baseline })
  const out: Record<string, unknown> = {}
  for (const key of SCOPE_OPTION_KEYS) if (valid[key] !== undefined) out[key] = valid[key]
  const pragmas: Record<string, unknown> = {}
  for (const [pragma, key] of Object.entries(PRAGMAS)) {
    const raw = (context.docblockPragmas as EnvironmentContext['docblockPragmas'] | undefined)?.[pragma]
    if (raw === undefined) continue
    const text = (Array.isArray(raw) ? raw[raw.length - 1] : raw)?.trim() ?? ''
    pragmas[key] = key === 'stallMs' && /^\d+(\.\d+)?$/.test(text) ? Number(text) : text
  }
  Object.assign(out, explained(`the @loopcop-* docblock pragmas of ${context.testPath}`, () => validateOptions(pragmas, Object.values(PRAGMAS), 'the docblock')))
  const env = envOverrides()
  const options = Object.fromEntries(Object.entries(out).filter(([key]) => !(key in env))) as ScopeOptions
  // Frozen, its rules too: every test of the file opens its scope with this object, resolved once
  // (see `Configuration.settingsFor`).
  const allow = options.allow?.map((rule) => (typeof rule === 'string' ? rule : Object.freeze({ ...rule })))
  return Object.freeze({ ...options, ...(allow !== undefined && { allow: Object.freeze(allow) }) })
}

/** How to load loopcop's reporter in a Jest run (what the error of a run without it says). */
const ADD_REPORTER =
  "Add 'loopcop/jest/reporter' to `reporters` in the Jest config (`reporters: ['default', 'loopcop/jest/reporter']`). " +
  '`--reporters` on the command line replaces the config\'s reporters: name it there too (`--reporters=default --reporters=loopcop/jest/reporter`).'

/** Runs a validation, saying where the wrong option was written when it throws. */
function explained<T>(where: string, validate: () => T): T {
  try {
    return validate()
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    throw new TypeError(`loopcop: invalid ${where}: ${error.message}`, { cause: error })
  }
}

/** loopcop's wrappers of test functions and hooks, so that none is wrapped twice (a retry keeps its function; hooks are shared). */
const ownWrappers = new WeakSet<Function>()

/** What a wrapper of `fn` does when Jest calls it: runs `fn` in the scope `runFor` gives, or as it is without one. */
function callWrapped(fn: Function, runFor: () => TestRun | undefined, self: unknown, args: unknown[]): unknown {
  const run = runFor()
  return run === undefined ? (Reflect.apply(fn, self, args) as unknown) : run.run(() => Reflect.apply(fn, self, args) as unknown)
}

/** A Jest test environment class: what `testEnvironment` names, and what `withLoopcop` extends. */
export type JestEnvironmentClass = new (config: JestEnvironmentConfig, context: EnvironmentContext) => JestEnvironmentLike

/** What loopcop uses of a Jest environment instance (`@jest/environment`'s `JestEnvironment`, structurally). */
export interface JestEnvironmentLike {
  readonly global: object
  setup(): Promise<void>
  teardown(): Promise<void>
}

/** A frame of Jest's own (jest-circus's `test`, jest-each's `test.each`), of a package, or of loopcop's handler chain: not where a test is defined. */
const NOT_THE_DEFINER = /[\\/]node_modules[\\/]|^node:|^internal[\\/]/

/**
 * Adds loopcop's per-test checking to a Jest test environment class (jsdom, a custom one): each test
 * function (and the timers and promise continuations it starts) runs in a scope of its own; at the
 * end of the test its findings fail it (`mode: 'fail'`), were already thrown at the call
 * (`'throw'`), or are printed (`'warn'`). The test's `beforeEach`/`afterEach` hooks run in its
 * scope and count as part of it (as under Vitest and Mocha); `beforeAll`/`afterAll` belong to no
 * test and are not checked. The base class's own `handleTestEvent`, if any, still runs.
 * @example module.exports = withLoopcop(require('jest-environment-jsdom').TestEnvironment)
 */
export function withLoopcop<Base extends JestEnvironmentClass>(Base: Base): Base {
  const given: unknown = Base
  if (typeof given !== 'function') {
    throw new TypeError(`loopcop: withLoopcop() expects a Jest test environment class (e.g. require('jest-environment-jsdom').TestEnvironment), got ${given === null ? 'null' : typeof given}`)
  }
  if ((Base as { [WITH_LOOPCOP]?: true })[WITH_LOOPCOP] === true) return Base
  const Checked = class extends (Base as JestEnvironmentClass) {
    readonly #testPath: string
    /** The project's `displayName`, where it has one: the findings' `test.project`. */
    readonly #project: string | undefined
    readonly #overrides: ScopeOptions
    /** Each test's current try (a retry opens a new one). */
    readonly #runs = new WeakMap<CircusTest, TestRun>()
    /** The findings of a test's failed tries while Jest retries it (`jest.retryTimes`), for the run report. */
    readonly #tries = new Tries<CircusTest>((findings) => recordFindings(findings))
    /** Where every test's results go: the run report (through the reporter's spool), and this file's console. */
    readonly #sink: TestSink = {
      record: (findings) => recordFindings(findings),
      print: (text) => this.#print(text),
      leak: (finding, _mode, first) => this.#leak(finding, first),
    }
    /** Concurrent tests, wrapped at `run_start`. */
    readonly #wrappedEarly = new WeakSet<CircusTest>()
    /** Each test's ref: tests of this file that share a name are told apart. */
    readonly #refs = new TestRefs<CircusTest>()
    readonly #realm: { Atomics?: unknown }
    /** The test whose `beforeEach` hooks, function and `afterEach` hooks are running (not concurrent ones). */
    #current: CircusTest | undefined
    #tornDown = false
    /** Whether this environment's handler was folded into Jest's own, or found not to be (see `#fold`). */
    #foldTried = false
    /** Put the realms' stack formatters back as `setup` found them. */
    #showOwnFrames: (() => void)[] = []
    /** The test file's `console.warn` as Jest set it, before any test code could spy on it (see `#print`). */
    #warn: ((text: string) => void) | undefined

    constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
      // Before the base class: an older Jest fails there or later with errors that say nothing useful.
      assertSupportedRunner('Jest')
      super(config, context)
      this.#testPath = context.testPath
      this.#project = projectName(config.projectConfig.displayName)
      // A worker runs test files one after another: what the one before configured (a `configure()`
      // at its top level, say) is undone, as a process of its own would forget it. Before
      // `fileOptions`, which configures this file's project's `onFinding` and baseline.
      startTestFile()
      this.#overrides = fileOptions(config, context)
      // jest-environment-node copies every testEnvironmentOptions key onto the test's global.
      const options = config.projectConfig.testEnvironmentOptions as Record<string, unknown> | undefined
      const global = this.global as unknown as Record<string, unknown>
      if (options?.loopcop !== undefined && global.loopcop === options.loopcop) delete global.loopcop
      // The core lives in this (outer) realm; the test realm has an `Atomics` of its own.
      install()
      rewriteMessages(framesReadIn)
      this.#realm = this.global
      patchRealm(this.#realm)
      // loopcop/jest (the setup file) finds the core here instead of loading a copy per test file.
      publishCore(this.global, { toBlockEventLoop, allowBlocking })
      markEnvironment(this.global)
    }

    /**
     * Jest's hook into the test lifecycle: wraps test functions, and judges each test at its end.
     * Throws only at the start of the file's run, when the run lacks loopcop's reporter for what it
     * asks (`#checkReporter`): that fails the file, as a wrong option does.
     */
    handleTestEvent(event: CircusEvent, state?: CircusState): unknown {
      if (!this.#foldTried) this.#fold()
      if (event.name === 'run_start') this.#checkReporter()
      this.#handle(event, state)
      // A base environment that listens too (a custom one) still gets every event.
      const base = (Base.prototype as { handleTestEvent?: (event: CircusEvent, state?: CircusState) => unknown }).handleTestEvent
      return typeof base === 'function' ? Reflect.apply(base, this, [event, state]) : undefined
    }

    /**
     * At the first event (Jest 30 dispatches `setup` right after registering the handlers): folds the
     * handler Jest registered for this environment into the one before it, so that each event costs
     * Jest one handler less (see `foldHandler`). Where it cannot (Jest 29, a subclass's own
     * `handleTestEvent`, a handler added after it), Jest keeps calling it as its own handler.
     */
    #fold(): void {
      this.#foldTried = true
      const own = registered.get(this)
      if (own === undefined) return
      registered.delete(this)
      try {
        foldHandler((this.global as Record<symbol, unknown>)[EVENT_HANDLERS], own)
      } catch (error) {
        reportInternalError(error, 'in the Jest environment')
      }
    }

    /**
     * A JSON report or a baseline to write asked for by the run's environment (`LOOPCOP_REPORT`,
     * `LOOPCOP_UPDATE_BASELINE=1`) in a run without loopcop's reporter, which alone makes them: they
     * would be dropped without a word, so the file fails. Options in the config do not: an editor's
     * runs replace the config's reporters.
     */
    #checkReporter(): void {
      if (runReported()) return
      const error = missingReporterError(currentOptions(), 'loopcop/jest', ADD_REPORTER, process.env, 'environment')
      if (error !== undefined) throw error
    }

    #handle(event: CircusEvent, state?: CircusState): void {
      try {
        switch (event.name) {
          case 'run_start':
            // For the run report: a run no file said this of was not checked (the environment not set).
            fileChecked()
            // Jest 29 starts `test.concurrent` functions all at once ahead of their `test_fn_start`,
            // then gives Jest a stand-in `() => promise` to call there: wrap the real ones now.
            for (const test of concurrentTests(state)) {
              this.#wrap(test)
              this.#wrappedEarly.add(test)
            }
            break
          case 'add_test':
            // Dispatched from within the `test()` call that defines the test: a file the test file
            // loads that defines tests itself (pug's test/run-utils.js calls `it` and holds the test
            // bodies) is a file of tests, for the "test code" rule, as under Mocha.
            // eslint-disable-next-line @typescript-eslint/unbound-method -- the method's frame is where the search starts; never called here
            addDefiningFile(Checked.prototype.handleTestEvent, NOT_THE_DEFINER, this.#testPath, true)
            break
          case 'test_start':
            this.#current = event.test !== undefined && !this.#wrappedEarly.has(event.test) ? event.test : undefined
            break
          case 'hook_start':
            if (event.hook !== undefined && (event.hook.type === 'beforeEach' || event.hook.type === 'afterEach')) this.#wrapHook(event.hook)
            break
          case 'test_fn_start':
            if (event.test !== undefined && !this.#wrappedEarly.has(event.test)) this.#wrap(event.test)
            break
          case 'test_done':
            if (event.test !== undefined) this.#finish(event.test, state)
            if (event.test === this.#current) this.#current = undefined
            break
          case 'run_finish':
            this.#tries.settle()
            break
        }
      } catch (error) {
        // Never thrown into Jest: a throw from handleTestEvent fails the whole file.
        reportInternalError(error, 'in the Jest environment')
      }
    }

    /**
     * After Jest installed its source-map support (Jest 29 in both realms, Jest 30 in this one, whose
     * formatter then formats the test realm's stacks too): the stacks Jest prints for a test's
     * `console.warn` and `console.error`, and those a test prints itself, leave out the frames of
     * loopcop's wrapper and scope, which each test runs inside.
     */
    override async setup(): Promise<void> {
      await super.setup()
      // Jest gives the test file its console before `setup`, and runs the set-up files after it.
      this.#warn = warnOf((this.global as unknown as { console?: unknown }).console)
      for (const realm of [globalThis, this.global as unknown as typeof globalThis]) {
        try {
          this.#showOwnFrames.push(hideOwnFramesIn(realm.Error))
        } catch (error) {
          reportInternalError(error, 'in the Jest environment')
        }
      }
    }

    override async teardown(): Promise<void> {
      this.#tornDown = true
      // Whatever a run that never reached run_finish left held.
      this.#tries.settle()
      for (const show of this.#showOwnFrames.splice(0)) show()
      // A patched `Atomics` would keep this file's whole realm alive for the rest of the worker.
      unpatchRealm(this.#realm)
      await super.teardown()
    }

    /** The test's current try, opened by whichever of its hooks or its function runs first. */
    #runFor(test: CircusTest): TestRun {
      let run = this.#runs.get(test)
      if (run === undefined || run.ended) {
        run = openTest(this.#refs.of(test, testName(test), this.#testPath, this.#project), { overrides: this.#overrides, what: 'testEnvironmentOptions.loopcop', expectedToFail: test.failing === true }, this.#sink)
        this.#runs.set(test, run)
      }
      return run
    }

    /**
     * `fn` (a test function or a `beforeEach`/`afterEach` hook) as a function that runs in the
     * scope `runFor` gives, or as it is without one; it keeps `length` (Jest passes `done` by it)
     * and `name`. Each function is wrapped once (hooks are shared by the tests they apply to; a
     * retry keeps its function); generator functions are left alone (Jest runs them through `co`,
     * by their type). The wrapper is anonymous, as a test's arrow function is, and for a test of
     * either usual shape (`done` or none) as long as it already, so that `keepShape` mostly has
     * nothing to define on it, and it is known by a `WeakSet`, not a marker of its own: redefining a
     * function's `name` and adding a symbol to it cost ~16 K instructions a test on Node 20 (bench/README.md,
     * "Forty-third pass").
     */
    #wrapped<F extends (...args: never[]) => unknown>(fn: F | undefined, runFor: () => TestRun | undefined): F | undefined {
      if (typeof fn !== 'function' || ownWrappers.has(fn) || isGeneratorFunction(fn)) return fn
      // Functions of a conditional: not named after a variable.
      const wrapped: Function =
        fn.length === 1
          ? function (this: unknown, _done: unknown): unknown {
              // eslint-disable-next-line prefer-rest-params -- every argument as Jest gave it; a rest parameter would make the length 0
              return callWrapped(fn, runFor, this, Array.prototype.slice.call(arguments))
            }
          : function (this: unknown, ...args: unknown[]): unknown {
              return callWrapped(fn, runFor, this, args)
            }
      ownWrappers.add(wrapped)
      return keepShape(wrapped, fn) as unknown as F
    }

    /** Replaces `test.fn` by a function that runs it in the test's scope. */
    #wrap(test: CircusTest): void {
      test.fn = this.#wrapped(test.fn, () => this.#runFor(test))
    }

    /** Wraps a `beforeEach`/`afterEach` hook: each call runs in the scope of the test it runs for, if one of ours is running. */
    #wrapHook(hook: CircusHook): void {
      hook.fn = this.#wrapped(hook.fn, () => (this.#current === undefined ? undefined : this.#runFor(this.#current)))
    }

    /** Ends the test's try: fail (push its `BlockingIOError`), warn (print) or nothing. */
    #finish(test: CircusTest, state: CircusState | undefined): void {
      const run = this.#runs.get(test)
      if (run === undefined) return
      this.#runs.delete(test)
      const error = run.finish(test.errors.length > 0, (findings, failed) => this.#tries.ended(test, findings, failed, failed && this.#retries(test, state)), test.errors)
      // Its frame lines read `in …` already: this process's errors are written for Jest (`rewriteMessages`).
      if (error !== undefined) test.errors.push(error)
    }

    /**
     * Whether Jest may run a failed test again: `jest.retryTimes(n)` with tries left (jest-circus
     * counts them in `invocations`), or a retried `describe` around it (Jest 30.5), whose tries
     * are settled when the file's run finishes.
     */
    #retries(test: CircusTest, state: CircusState | undefined): boolean {
      const times = Number.parseInt(String((this.global as Record<symbol, unknown>)[RETRY_TIMES]), 10) || 0
      if (times > 0 && (test.invocations ?? 1) <= times) return true
      for (let b = test.parent; b !== undefined; b = b.parent) if (state?.describeRetryOptions?.get(b) !== undefined) return true
      return false
    }

    /** A finding after its test ended (work the test left running): into the run report, and printed. */
    /** Work a test left running blocked after it ended: recorded, and said once a call site (`first`). */
    #leak(finding: Finding, first: boolean): void {
      recordFindings([failedNothing(finding)])
      if (!first) return
      this.#print(leakNotice(finding, runReported() ? 'reported' : 'unreported'))
    }

    /**
     * Prints through the test file's console while it lives (Jest shows it with the file's results),
     * else to stderr: its `warn` as `setup` found it, so a test's spy on `console.warn` neither
     * records loopcop's line nor swallows it. Jest's console records the stack of every call to show
     * where it came from: for loopcop's lines that is loopcop's own frames (the line names the call
     * site itself), each source-mapped by Jest on every print (~1–5 ms a line).
     * `Error.stackTraceLimit` is 0 for the call: no stack is recorded.
     */
    #print(text: string): void {
      const warn = this.#tornDown ? undefined : (this.#warn ?? warnOf((this.global as unknown as { console?: unknown }).console))
      outsideScopes(() => {
        if (warn === undefined) {
          process.stderr.write(text + '\n')
          return
        }
        const limit = Error.stackTraceLimit
        Error.stackTraceLimit = 0
        try {
          warn(text)
        } finally {
          Error.stackTraceLimit = limit
        }
      })
    }
  }
  // Jest registers `environment.handleTestEvent.bind(environment)`: the bound function is kept, to
  // be found among Jest's handlers at the first event (`#fold`).
  // eslint-disable-next-line @typescript-eslint/unbound-method -- given a `bind` of its own, never called here
  Object.defineProperty(Checked.prototype.handleTestEvent, 'bind', { value: bindHandler, configurable: true, writable: true })
  Object.defineProperty(Checked, 'name', { value: `Loopcop${Base.name === '' ? 'Environment' : Base.name}` })
  Object.defineProperty(Checked, WITH_LOOPCOP, { value: true })
  return Checked as unknown as Base
}

/** The handler Jest registered for each environment: its `handleTestEvent`, bound to it. */
const registered = new WeakMap<object, CircusHandler>()

/** `Function.prototype.bind` for an environment's `handleTestEvent`, noting what it binds the method to. */
function bindHandler(this: Function, thisArg: unknown, ...args: unknown[]): Function {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the method as `this`
  const bound = Reflect.apply(Function.prototype.bind, this, [thisArg, ...args]) as Function
  if (args.length === 0 && typeof thisArg === 'object' && thisArg !== null) registered.set(thisArg, bound as CircusHandler)
  return bound
}

/** Marks a class `withLoopcop` made, so wrapping it again changes nothing. */
const WITH_LOOPCOP = Symbol.for('loopcop.jest.withLoopcop')

/** Jest's `jest-environment-node` with loopcop's per-test checking: `testEnvironment: 'loopcop/jest/environment'`. */
export default class LoopcopEnvironment extends withLoopcop(NodeEnvironment) {}

/** The same class under the name jest-environment-node also exports it by. */
export const TestEnvironment = LoopcopEnvironment