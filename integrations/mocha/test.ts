/**
 * One Mocha test as a loopcop scope: its `beforeEach` hooks, its function (sync, promise or
 * `done`) and what they start. At the start of a run every test's function and every
 * `beforeEach`/`afterEach` hook is wrapped, once (`prepareRun`); the test begins at the first of
 * them Mocha calls for it, and its wrapped function fails the test itself with the verdict.
 * `afterEach` hooks run after Mocha has reported the test: what they block on is charged to the
 * test in the run report, but can no longer fail it (failing the hook would skip the suite); the
 * test ends for good when the last of them is over, or else when the next test begins or the run
 * ends. No root `beforeEach` or `afterEach` of loopcop's runs: Mocha's work for the two, a hook run
 * each for every test, was a fifth of what loopcop added to a test (bench/README.md, "Fortieth pass").
 * @module
 */
import { type Finding, type TestRef, TestRefs, type TestRun, type TestSink, type Tries, addTestFiles, defineHidden, failedNothing, hideOwnFrames, hideOwnFramesIn, isThenable, keepShape, now, openTest, outsideScopes, quotedName, reportInternalError, whenSettled } from '../../src/integration.js'

/** The part of a Mocha `Test` or `Hook` loopcop touches. */
export interface MochaRunnable {
  fn?: Function
  /** The context it runs with (`this` in its function): its suite's. */
  ctx?: object
  readonly title: string
  readonly file?: string
  readonly parent?: MochaSuite
  /** `passed`, `failed` or `pending` once run; none when it never ran (or a retry ran in its place). */
  readonly state?: string
  /** Skipped where it is written (`it.skip`, `xit`, a test without a function). */
  readonly pending?: boolean
  fullTitle(): string
  /** How many times Mocha retries it when it fails (`retries`; -1 unset). */
  retries?(): number
  /** Which retry this is (0: the first try). */
  currentRetry?(): number
  /** The test a retry's clone was made from (Mocha 8 and later). */
  retriedTest?(): MochaRunnable | undefined
  /** Its timeout in ms (`this.timeout()`, `--timeout`); Mocha's largest integer when disabled. */
  timeout?(): number
  /**
   * What it failed with, as Mocha's reporters (every one built on `Base`) record it: the first error,
   * later ones in its `multiple`.
   */
  readonly err?: unknown
}

/** The part of a Mocha `Suite` loopcop touches. */
export interface MochaSuite {
  readonly parent?: MochaSuite
  /** The context its runnables run with: the prototype of its child suites' contexts. */
  readonly ctx?: object
  readonly file?: string
  /** Its own title and those of the suites around it, the root's left out (Mocha's `fullTitle()` joins them). */
  titlePath?(): string[]
  readonly suites?: readonly MochaSuite[]
  readonly tests?: readonly MochaRunnable[]
  getHooks?(name: string): MochaRunnable[] | undefined
  /** Whether an `.only` test or suite is below it (Mocha 8 and later). */
  hasOnly?(): boolean
  /**
   * Mocha's suites are event emitters: a test, suite or hook added to one is announced through its
   * `emit` (`test`, `suite`, `beforeEach`, `afterEach`), the method of their prototype.
   */
  emit?(event: string, ...args: unknown[]): boolean
}

/** What `this` is in a test's function or a hook: the suite's context, holding the runnable running and, in a `beforeEach`/`afterEach` hook, the test it runs for. */
interface MochaContext {
  readonly test?: MochaRunnable
  readonly currentTest?: MochaRunnable
}

/** The context Mocha called a test's function or a hook with, when it is one. */
function contextOf(self: unknown): MochaContext | undefined {
  return typeof self === 'object' && self !== null ? self : undefined
}

interface TestState {
  readonly test: MochaRunnable
  readonly ref: TestRef
  readonly sink: TestSink
  /** The test's own part: its `beforeEach` hooks and its function. */
  readonly run: TestRun
  /** `test` until the test's function settles, then `tail` (its `afterEach` hooks). */
  phase: 'test' | 'tail'
  /** Its `afterEach` hooks, run after Mocha reported the test. */
  tail?: TestRun
  /** How many of its `afterEach` hooks (loopcop's wrappers) have yet to finish: the test ends for good at the last. */
  afterEachLeft: number
}

/** Where the tests' results go, and their tries: the run's, given by `prepareRun`. */
interface RunSinks {
  readonly sink: TestSink
  readonly tries: Tries<MochaRunnable>
  /** Called as each test begins. */
  readonly began: () => void
}

/** On a wrapper: the function it wraps (every copy of the integration leaves a wrapped function alone). */
const ORIGINAL = Symbol.for('loopcop.mocha.original')
/** On loopcop's own root hooks: never wrapped. */
export const OWN = Symbol.for('loopcop.mocha.own')

let current: TestState | undefined
let sinks: RunSinks | undefined
/** The test functions this copy of the integration wrapped. */
const ownWrappers = new WeakSet<Function>()
/** The suites whose tests and hooks are wrapped, and whose later additions are listened for. */
const preparedSuites = new WeakSet<MochaSuite>()
/** How many `afterEach` hooks of each suite loopcop wrapped. */
const afterEachCounts = new WeakMap<MochaSuite, number>()

/** Makes `wrapper` look like `original` to Mocha: `length` (done-style or not), source text, the link back. */
function disguise(wrapper: Function, original: Function): Function {
  return defineHidden(defineHidden(keepShape(wrapper, original), 'toString', () => original.toString()), ORIGINAL, original)
}

/**
 * The `done` Mocha passes, called outside the test's scope so Mocha's own work is never charged to
 * it. An error Mocha makes inside `done` (`done() called multiple times`, a timeout found when a
 * late `done` comes, `done() invoked with non-Error`) is made below this wrapper, and reaches the
 * reporter with loopcop's frames in its stack: those are taken out of what the call recorded on
 * `runnable` (Mocha fails it, and its reporter records the error, before `done` returns).
 */
function outsideDone(done: Function, runnable: MochaRunnable, before?: (err: unknown) => unknown): Function {
  return function loopcopDone(this: unknown, ...args: unknown[]): unknown {
    return outsideScopes(() => {
      if (before !== undefined) args[0] = before(args[0])
      const known = runnable.err
      const knownMore = moreErrors(known)
      try {
        return Reflect.apply(done, this, args) as unknown
      } finally {
        if (runnable.err !== known || moreErrors(runnable.err) !== knownMore) hideInRecorded(runnable.err, known === runnable.err ? knownMore : 0)
      }
    })
  }
}

/** The errors recorded after a runnable's first (`err.multiple`, Mocha's `Base` reporter), as an array when there is one. */
function moreErrors(err: unknown): number {
  const more = typeof err === 'object' && err !== null ? (err as { multiple?: unknown }).multiple : undefined
  return Array.isArray(more) ? more.length : 0
}

/** Takes loopcop's frames out of a recorded error (unless `from` says it was there before) and of its `multiple` from index `from`. */
function hideInRecorded(err: unknown, from: number): void {
  if (typeof err !== 'object' || err === null) return
  if (from === 0) hideOwnFrames(err)
  const more = (err as { multiple?: unknown }).multiple
  if (Array.isArray(more)) for (let i = from; i < more.length; i++) hideOwnFrames(more[i])
}

/**
 * An error a test or hook passed to `done`: made while its body ran inside loopcop's scope (a
 * supertest `.expect(404, done)`), its stack holds loopcop's frames, which are taken out as they are
 * from what the body throws.
 */
function hidingOwnFrames(run: TestRun, err: unknown): unknown {
  run.hideOwnFrames(err)
  return err
}

/**
 * Moves the test from its own part to its tail, once: whether this call did. Later calls (a
 * second `done()`, a late settle after a timeout) find it done.
 */
function endOwnPart(state: TestState): boolean {
  if (state.phase !== 'test') return false
  state.phase = 'tail'
  return true
}

/** Ends the test's own part and returns the error to fail it with, if any; later calls do nothing. `errors`: see `TestRun.finish`. */
function finishTest(state: TestState, testFailed: boolean, errors?: readonly unknown[]): Error | undefined {
  return endOwnPart(state) ? state.run.finish(testFailed, recordTry(state), errors) : undefined
}

/** Ends the test's own part, which failed with `error`, and returns what to fail it with (`TestRun.finishFailed`); later calls: `error`. */
function finishFailed(state: TestState, error: unknown): unknown {
  // `this.skip()` marks the test pending and throws (Mocha 12's `PendingError`, an earlier `Pending`): no failure.
  return endOwnPart(state) ? keepMessage(state.run.finishFailed(error, recordTry(state), state.test.pending !== true)) : error
}

/**
 * Mocha takes out of a failed test's stack every line that names a file called `mocha.js` (or
 * `(timers.js:`, `(events.js:`…), the lines of the message included. When loopcop's message names
 * such a file of the user's (adm-zip's tests are in `test/mocha.js`), the stack no longer starts
 * with the message, and Mocha prints the message and then the stack with the message's remains in
 * it. So a `BlockingIOError`'s stack keeps its message whatever is assigned to it: only the frames
 * after the message are Mocha's to filter (or left whole under `--full-trace`, which assigns nothing).
 */
function keepMessage<T>(error: T): T {
  if (!(error instanceof Error) || error.name !== 'BlockingIOError' || typeof error.stack !== 'string') return error
  let stack: unknown = error.stack
  Object.defineProperty(error, 'stack', {
    configurable: true,
    enumerable: false,
    get: () => stack,
    set: (value: unknown) => {
      stack = typeof value === 'string' ? withHead(value, `${error.name}: ${error.message}`) : value
    },
  })
  return error
}

/** `stack` starting with `head`: the lines of `head` it kept, in order, put back whole. */
function withHead(stack: string, head: string): string {
  if (stack.startsWith(head)) return stack
  const lines = stack.split('\n')
  let at = 0
  for (const line of head.split('\n')) if (lines[at] === line) at++
  return [head, ...lines.slice(at)].join('\n')
}

/** Where a try's findings go: to the run's tries, with whether Mocha will run it again. */
function recordTry(state: TestState): (findings: readonly Finding[], failed: boolean) => void {
  const test = state.test
  // A retry is a clone of the test: its tries are one test's by the test they were cloned from.
  const first = test.retriedTest?.() ?? test
  const retried = (): boolean => (test.currentRetry?.() ?? 0) < (test.retries?.() ?? -1)
  return (findings, failed) => sinks?.tries.ended(first, findings, failed, failed && retried())
}

/**
 * Wraps a test's function (once a run: a retry is a clone that keeps it): run in the test's
 * scope, then fail the test from here if it blocked. The wrapper is anonymous and, for Mocha's two
 * shapes of test (`done` or none), as long as the original already, so that `keepShape` has
 * neither `name` nor `length` to define on it (bench/README.md, "Thirty-ninth pass").
 */
function wrapTestFn(test: MochaRunnable): void {
  const original = test.fn
  if (typeof original !== 'function' || ORIGINAL in original || OWN in original) return
  // `arguments` as Mocha gave them: a rest parameter would make the wrapper's `length` 0.
  const wrapper: Function =
    original.length === 1
      ? function (this: unknown, _done: unknown): unknown {
          // eslint-disable-next-line prefer-rest-params -- see above
          return callTest(wrapper, original, this, Array.prototype.slice.call(arguments))
        }
      : function (this: unknown): unknown {
          // eslint-disable-next-line prefer-rest-params -- see above
          return callTest(wrapper, original, this, Array.prototype.slice.call(arguments))
        }
  test.fn = disguise(wrapper, original)
  ownWrappers.add(wrapper)
}

/** The test Mocha is running with `self` as its context, when it is the one whose function is `wrapper`. */
function runningTest(wrapper: Function, self: unknown): MochaRunnable | undefined {
  const test = contextOf(self)?.test
  return test?.fn === wrapper ? test : undefined
}

/** What the wrapper of a test's function does when Mocha calls it with `self` and `args`. */
function callTest(wrapper: Function, original: Function, self: unknown, args: unknown[]): unknown {
  const test = runningTest(wrapper, self)
  const state = test === undefined ? undefined : current?.test === test ? current : safeBegin(test)
  if (state === undefined || state.phase !== 'test') return Reflect.apply(original, self, args)
  const startedAt = now()
  const failed = (): Error | undefined => keepMessage(withOverrun(finishTest(state, false), state.test, startedAt))
  const done = args[0]
  if (typeof done === 'function') {
    args[0] = outsideDone(done, state.test, (err) => (err ? hidingOwnFrames(state.run, finishFailed(state, err)) : failed()))
    try {
      return state.run.run(() => Reflect.apply(original, self, args) as unknown)
    } catch (error) {
      throw finishFailed(state, error)
    }
  }
  let result: unknown
  try {
    result = state.run.run(() => Reflect.apply(original, self, args) as unknown)
  } catch (error) {
    throw finishFailed(state, error)
  }
  if (!isThenable(result)) {
    const error = failed()
    if (error !== undefined) throw error
    return result
  }
  return Promise.resolve(result).then(
    (value) => {
      const error = failed()
      if (error !== undefined) throw error
      return value
    },
    (reason: unknown) => {
      throw finishFailed(state, reason)
    },
  )
}

/**
 * loopcop's error for a test that also ran past its timeout, saying so: Mocha names the timeout
 * only for a test that failed with no error (typedoc: "Converter Compiles" took 7,070 ms of its
 * 5,000 and showed only the `BlockingIOError`). Timed from the test's function on, as Mocha times it.
 */
function withOverrun(error: Error | undefined, test: MochaRunnable, startedAt: number): Error | undefined {
  if (error === undefined) return undefined
  const ms = test.timeout?.()
  const took = now() - startedAt
  if (typeof ms !== 'number' || !(ms > 0) || took <= ms) return error
  const before = error.message
  error.message = `${before}\n(It also ran past Mocha's timeout: ${Math.round(took)} ms of ${ms}. Mocha names a timeout only for a test that failed with no error.)`
  if (typeof error.stack === 'string') error.stack = error.stack.replace(before, error.message)
  return error
}

/** Whether this process hands uncaught exceptions to `hideInUncaught` (once a process: a `--parallel` worker too). */
let hearingUncaught = false

function hearUncaught(): void {
  if (hearingUncaught) return
  hearingUncaught = true
  // The monitor runs before every `uncaughtException` listener (Mocha's) and changes nothing of what they do.
  process.on('uncaughtExceptionMonitor', hideInUncaught)
}

/**
 * An uncaught exception while a test runs (thrown in a callback), which Mocha fails the test with:
 * loopcop's frames are taken out of its stack, as out of what the test's function throws. An
 * `ENOENT` from a wrapped `readFileSync` in an `fs.readFile` callback showed `at timed`, `at
 * CallRecorder.record` and loopcop's bundle in Mocha's report (stylus).
 */
function hideInUncaught(error: unknown): void {
  const state = current
  if (state !== undefined) guarded(() => state.run.hideOwnFrames(error))
}

/**
 * A test begins (its first `beforeEach` hook, or its function, is called): the previous one ends
 * for good, and the test's scope opens. `undefined` for a test whose function another copy of the
 * integration wrapped (both builds registered: `.mocharc` and `--require`), which that copy checks.
 */
function begin(test: MochaRunnable): TestState | undefined {
  endCurrent()
  const run = sinks
  if (run === undefined || typeof test.fn !== 'function') return undefined
  hearUncaught()
  // A test added where no announcement reached loopcop (wrapped as it begins, from a `beforeEach` hook).
  if (!ownWrappers.has(test.fn)) wrapTestFn(test)
  if (!ownWrappers.has(test.fn)) return undefined
  run.began()
  // A retry is a clone: it is the test it was cloned from.
  const ref = refs.of(test.retriedTest?.() ?? test, fullTitleOf(test), test.file)
  const state: TestState = { test, ref, sink: run.sink, run: openTest(ref, {}, run.sink), phase: 'test', afterEachLeft: afterEachCount(test.parent) }
  current = state
  return state
}

/**
 * What each suite's tests' full titles begin with (its titles and a space, or nothing for the
 * root), or `null` where that does not give Mocha's own `fullTitle()`.
 */
const suitePrefixes = new WeakMap<MochaSuite, string | null>()

/**
 * A test's `fullTitle()`, its suite's part worked out once a suite. Mocha's walks the suites up
 * to the root, an array a level, and joins them, for every test loopcop begins (bench/README.md,
 * "Forty-first pass": with the `LOOPCOP_*` reads, 21.7 K instructions a test in a generated suite,
 * ~5 K on express). The first test of each suite checks the shortcut against Mocha's own answer,
 * which is kept for a suite where it differs.
 */
function fullTitleOf(test: MochaRunnable): string {
  const suite = test.parent
  if (suite === undefined) return test.fullTitle()
  const prefix = suitePrefixes.get(suite)
  if (prefix === undefined) {
    const full = test.fullTitle()
    const path = typeof suite.titlePath === 'function' ? suite.titlePath() : undefined
    const own = Array.isArray(path) && path.length > 0 ? `${path.join(' ')} ` : ''
    suitePrefixes.set(suite, own + test.title === full ? own : null)
    return full
  }
  return prefix === null ? test.fullTitle() : prefix + test.title
}

/** `begin`, from inside a wrapper of the user's function: a failure is loopcop's, printed, and the function runs unchecked. */
function safeBegin(test: MochaRunnable): TestState | undefined {
  return guarded(() => begin(test))
}

/** How many `afterEach` hooks loopcop wrapped on `suite` and the suites around it: those Mocha runs after each of its tests. */
function afterEachCount(suite: MochaSuite | undefined): number {
  let n = 0
  for (let s = suite; s !== undefined; s = s.parent) n += afterEachCounts.get(s) ?? 0
  return n
}

/** The test a `beforeEach` hook runs for, begun if it is not yet. */
function beforeEachState(self: unknown): TestState | undefined {
  const test = contextOf(self)?.currentTest
  if (test === undefined) return undefined
  return current?.test === test ? current : safeBegin(test)
}

/** The current test, when an `afterEach` hook runs for it. */
function afterEachState(self: unknown): TestState | undefined {
  const test = contextOf(self)?.currentTest
  return test !== undefined && current?.test === test ? current : undefined
}

/** Where a test's `afterEach` hook runs: in the part of the test that never finished (a timeout), else in its tail. */
function tailRun(state: TestState): TestRun {
  if (state.phase === 'test') return state.run
  state.tail ??= openTest(state.ref, {}, state.sink)
  return state.tail
}

/** An `afterEach` hook of the test finished: after the last, the test ends for good. */
function afterEachDone(state: TestState): void {
  if (current === state && --state.afterEachLeft <= 0) guarded(endCurrent)
}

/**
 * Makes a `beforeEach` or `afterEach` hook part of the test it runs for (once; `beforeAll`/
 * `afterAll` hooks belong to no test and are not checked). A `beforeEach` hook begins its test if
 * it is the first of the test's runnables Mocha calls.
 */
function wrapHook(hook: MochaRunnable, kind: 'beforeEach' | 'afterEach', suite: MochaSuite): void {
  const fn = hook.fn
  if (typeof fn !== 'function' || OWN in fn || ORIGINAL in fn) return
  const wrapper =
    kind === 'beforeEach'
      ? function loopcopHook(this: unknown, ...args: unknown[]): unknown {
          const state = beforeEachState(this)
          if (state === undefined || state.phase !== 'test') return Reflect.apply(fn, this, args) as unknown
          const run = state.run
          if (typeof args[0] === 'function') args[0] = outsideDone(args[0], hook, (err) => (err ? hidingOwnFrames(run, err) : err))
          return run.run(() => Reflect.apply(fn, this, args) as unknown)
        }
      : function loopcopHook(this: unknown, ...args: unknown[]): unknown {
          const state = afterEachState(this)
          if (state === undefined) return Reflect.apply(fn, this, args) as unknown
          const run = tailRun(state)
          if (typeof args[0] === 'function') {
            args[0] = outsideDone(args[0], hook, (err) => {
              afterEachDone(state)
              return err ? hidingOwnFrames(run, err) : err
            })
            return run.run(() => Reflect.apply(fn, this, args) as unknown)
          }
          const result = run.run(() => Reflect.apply(fn, this, args) as unknown)
          // Over when it returns, or when the promise it returns settles. Another thenable is left
          // alone (calling its `then` may start work): the test then ends when the next one begins.
          if (!isThenable(result)) afterEachDone(state)
          else whenSettled(result, () => afterEachDone(state))
          return result
        }
  hook.fn = disguise(wrapper, fn)
  if (kind === 'afterEach') afterEachCounts.set(suite, (afterEachCounts.get(suite) ?? 0) + 1)
}

/** A suite's own `beforeEach` or `afterEach` hooks. */
function hooksOf(suite: MochaSuite, name: 'beforeEach' | 'afterEach'): readonly MochaRunnable[] {
  if (typeof suite.getHooks === 'function') return suite.getHooks(name) ?? []
  return (suite as unknown as Record<string, MochaRunnable[] | undefined>)[`_${name}`] ?? []
}

/**
 * Wraps the functions of a suite's tests, its `beforeEach`/`afterEach` hooks, and those of the
 * suites below it, once; a test, suite or hook added to one later (a `before` hook that adds tests)
 * is wrapped as Mocha announces it (`hearAdditions`). Collects the files they were loaded from.
 */
function prepareSuite(suite: MochaSuite, files: Set<string>): void {
  if (preparedSuites.has(suite)) return
  preparedSuites.add(suite)
  if (suite.file !== undefined) files.add(suite.file)
  for (const hook of hooksOf(suite, 'beforeEach')) wrapHook(hook, 'beforeEach', suite)
  for (const hook of hooksOf(suite, 'afterEach')) wrapHook(hook, 'afterEach', suite)
  for (const test of suite.tests ?? []) {
    if (test.file !== undefined) files.add(test.file)
    wrapTestFn(test)
  }
  for (const child of suite.suites ?? []) prepareSuite(child, files)
}

/** Prepares a suite and the suites below it (`prepareSuite`), and registers the files they were loaded from as test files. */
function prepareTree(suite: MochaSuite): void {
  const files = new Set<string>()
  prepareSuite(suite, files)
  addTestFiles(files)
}

/** The suite prototypes (one a copy of Mocha in the process) whose `emit` tells this copy of the integration what is added. */
const heardPrototypes = new WeakSet()

/**
 * Has what is added to a prepared suite later announced to this copy of the integration: its
 * tests and hooks wrapped, a suite prepared. Through the suites' prototype, once: under Mocha 10
 * and 11 a listener gives each suite an own property (`_events`, made at its first listener), and
 * a property added to each of their suites made ~14 MB more of express's objects outlive the young
 * generation, ~1 % of its run in instructions (bench/README.md, "Forty-first pass"). The `emit`
 * put in its place calls the one it shadows, as it was, after loopcop's part.
 */
function hearAdditions(root: MochaSuite): void {
  const proto: unknown = Object.getPrototypeOf(root)
  if (typeof proto !== 'object' || proto === null || heardPrototypes.has(proto)) return
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the `this` it is given
  const inherited = (proto as MochaSuite).emit
  if (typeof inherited !== 'function') return
  heardPrototypes.add(proto)
  const emit = function emit(this: unknown, event: unknown, added: unknown): boolean {
    if (typeof this === 'object' && this !== null && preparedSuites.has(this)) {
      const suite = this as MochaSuite
      if (event === 'test') guarded(() => wrapTestFn(added as MochaRunnable))
      else if (event === 'beforeEach' || event === 'afterEach') guarded(() => wrapHook(added as MochaRunnable, event, suite))
      else if (event === 'suite') guarded(() => prepareTree(added as MochaSuite))
    }
    // eslint-disable-next-line prefer-rest-params -- the arguments as given, whatever their number
    return Reflect.apply(inherited, this, arguments) as boolean
  }
  Object.defineProperty(proto, 'emit', { value: keepShape(emit, inherited), writable: true, configurable: true, enumerable: false })
}

/**
 * Runs loopcop's own work where Mocha or the user's code called it (a listener, a wrapper): a
 * failure is loopcop's, printed, never theirs; `undefined` then.
 */
function guarded<T>(fn: () => T): T | undefined {
  try {
    return fn()
  } catch (error) {
    reportInternalError(error, 'in the Mocha integration')
    return undefined
  }
}

/**
 * A run begins (the root `beforeAll`, after every spec file loaded; a `--parallel` worker's one
 * file): every test's function and `beforeEach`/`afterEach` hook is wrapped, the spec files are
 * registered as test files (for the "test code" rule), and the tests' results will go to `run`.
 */
export function prepareRun(root: MochaSuite, run: RunSinks): void {
  sinks = run
  prepareTree(root)
  hearAdditions(root)
  // A stack formatter installed by then (`ts-node/register`'s source-map support, source-map-support's
  // own): it formats stacks without loopcop's frames, and its time is the runner's, never a stall
  // of the code that read a stack (as under Jest and Vitest). None installed: nothing changes.
  guarded(() => hideOwnFramesIn(globalThis.Error))
}

/** Each test's ref: tests of a file that share a name are told apart (within one run: see `newRun`). */
let refs = new TestRefs<MochaRunnable>()

/**
 * A new run starts in this process (Mocha's watch mode runs the suite again after a change): its
 * tests are counted afresh, not as repeats of the last run's tests of the same names.
 */
export function newRun(): void {
  endCurrent()
  refs = new TestRefs<MochaRunnable>()
}

/** Why a test's function did not finish, as the error Mocha failed it with (if any) tells. */
function unfinished(failure: unknown): string {
  const e = typeof failure === 'object' && failure !== null ? (failure as { code?: unknown; uncaught?: unknown }) : undefined
  if (e?.code === 'ERR_MOCHA_TIMEOUT') return 'timed out'
  // Mocha marks what its `uncaughtException` listener caught: thrown in a callback, or a rejection nothing handled.
  if (e?.uncaught === true) return 'failed with an uncaught error (thrown in a callback, or a promise nothing awaited), which the runner shows alone'
  return 'did not finish before Mocha reported it (a timeout, or a hook that failed)'
}

/**
 * Closes the current test for good: the part that never finished (a failed hook, `this.skip()`,
 * a timeout) and its `afterEach` hooks. Mocha has reported the test by now: what is found here
 * goes to the run report and is said as `warn` mode says it (once a call site in the run), never thrown.
 */
export function endCurrent(): void {
  const state = current
  if (state === undefined) return
  current = undefined
  // The test's own part never finished (a timeout, a failed hook, an uncaught error): Mocha has
  // reported it with its own error, so what loopcop would fail it with is said here. A refusal
  // (`mode: 'throw'`) the code caught and then hung on showed only the timeout (madge: a `.catch`
  // that threw, `done` never called). A refusal that is Mocha's error (thrown in a callback,
  // uncaught) is not said again (stylus, archiver: it was, as if it were not the failure).
  const failure = state.test.err
  const error = finishTest(state, true, failure === undefined ? [] : [failure])
  if (error !== undefined) state.sink.print(`loopcop: ${quotedName(state.ref.name)} ${unfinished(failure)}, so this is not in its failure; it is in the run summary:\n${error.message}`)
  const outcome = state.tail?.endReported()
  if (outcome === undefined) return
  // Too late to fail the test: recorded as what they got, printed (the report and the GitHub
  // annotations would otherwise say they failed it).
  state.sink.record(outcome.findings.map((f) => failedNothing(f)))
  const text = outcome.error?.message ?? outcome.warning
  if (text !== undefined) {
    state.sink.print(`loopcop: an afterEach hook blocked the event loop after Mocha had reported ${quotedName(state.ref.name)}; it is in the run summary (a hook failure would skip the rest of the suite):\n${text}`)
  }
}
