/**
 * One Mocha test as a loopcop scope: its `beforeEach` hooks, its function (sync, promise or
 * `done`) and what they start. The test's function is wrapped so the verdict fails the test itself.
 * `afterEach` hooks run after Mocha has reported the test: what they block on is charged to the
 * test in the run report, but can no longer fail it (failing the hook would skip the suite).
 * @module
 */
import { type Finding, type TestRef, TestRefs, type TestRun, type TestSink, type Tries, addTestFiles, hideOwnFrames, isThenable, keepShape, openTest, outsideScopes } from '../../src/integration.js'

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
  readonly suites?: readonly MochaSuite[]
  readonly tests?: readonly MochaRunnable[]
  getHooks?(name: string): MochaRunnable[] | undefined
  /** Whether an `.only` test or suite is below it (Mocha 8 and later). */
  hasOnly?(): boolean
}

interface TestState {
  readonly test: MochaRunnable
  readonly ref: TestRef
  /** The test's own part: its `beforeEach` hooks and its function. */
  readonly run: TestRun
  readonly original: Function
  readonly sink: TestSink
  /** Its tries, for a test Mocha retries. */
  readonly tries: Tries<MochaRunnable>
  /** `test` until the test's function settles, then `tail` (its `afterEach` hooks). */
  phase: 'test' | 'tail'
  /** Its `afterEach` hooks, run after Mocha reported the test. */
  tail?: TestRun
}

/** On a wrapper: the function it wraps (a retried test is cloned with its wrapper). */
const ORIGINAL = Symbol.for('loopcop.mocha.original')
/** On loopcop's own root hooks: never wrapped. */
export const OWN = Symbol.for('loopcop.mocha.own')

/** On a test one copy of the integration has begun. */
const BEGUN = Symbol.for('loopcop.mocha.begun')

let current: TestState | undefined
const wrappedSuites = new WeakSet()

function originalOf(fn: Function): Function {
  return ((fn as unknown as Record<symbol, Function | undefined>)[ORIGINAL]) ?? fn
}

/** Makes `wrapper` look like `original` to Mocha: `length` (done-style or not), source text, the link back. */
function disguise(wrapper: Function, original: Function): Function {
  return keepShape(wrapper, original, { toString: () => original.toString(), [ORIGINAL]: original })
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
 * Moves the test from its own part to its tail (its function put back), once: whether this call
 * did. Later calls (a second `done()`, a late settle after a timeout) find it done.
 */
function endOwnPart(state: TestState): boolean {
  if (state.phase !== 'test') return false
  state.phase = 'tail'
  if (state.test.fn !== state.original) state.test.fn = state.original
  return true
}

/** Ends the test's own part and returns the error to fail it with, if any; later calls do nothing. */
function finishTest(state: TestState, testFailed: boolean): Error | undefined {
  return endOwnPart(state) ? state.run.finish(testFailed, recordTry(state)) : undefined
}

/** Ends the test's own part, which failed with `error`, and returns what to fail it with (`TestRun.finishFailed`); later calls: `error`. */
function finishFailed(state: TestState, error: unknown): unknown {
  return endOwnPart(state) ? state.run.finishFailed(error, recordTry(state)) : error
}

/** Where a try's findings go: to the test's tries, with whether Mocha will run it again. */
function recordTry(state: TestState): (findings: readonly Finding[], failed: boolean) => void {
  const test = state.test
  // A retry is a clone of the test: its tries are one test's by the test they were cloned from.
  const first = test.retriedTest?.() ?? test
  const retried = (): boolean => (test.currentRetry?.() ?? 0) < (test.retries?.() ?? -1)
  return (findings, failed) => state.tries.ended(first, findings, failed, failed && retried())
}

/**
 * Wraps the test's function: run in the scope, then fail the test from here if it blocked. The
 * wrapper is anonymous and, for Mocha's two shapes of test (`done` or none), as long as the
 * original already, so that `keepShape` has neither `name` nor `length` to define on it (each
 * define ~2 µs a test in a real suite: bench/README.md, "Thirty-ninth pass").
 */
function wrapTest(state: TestState): Function {
  // `arguments` as Mocha gave them: a rest parameter would make the wrapper's `length` 0.
  const wrapper =
    state.original.length === 1
      ? function (this: unknown, _done: unknown): unknown {
          // eslint-disable-next-line prefer-rest-params -- see above
          return callTest(state, this, Array.prototype.slice.call(arguments))
        }
      : function (this: unknown): unknown {
          // eslint-disable-next-line prefer-rest-params -- see above
          return callTest(state, this, Array.prototype.slice.call(arguments))
        }
  return disguise(wrapper, state.original)
}

/** What the wrapper of a test's function does when Mocha calls it with `self` and `args`. */
function callTest(state: TestState, self: unknown, args: unknown[]): unknown {
  const original = state.original
  if (current !== state || state.phase !== 'test') return Reflect.apply(original, self, args)
  const done = args[0]
  if (typeof done === 'function') {
    args[0] = outsideDone(done, state.test, (err) => (err ? hidingOwnFrames(state.run, finishFailed(state, err)) : finishTest(state, false)))
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
    const error = finishTest(state, false)
    if (error !== undefined) throw error
    return result
  }
  return Promise.resolve(result).then(
    (value) => {
      const error = finishTest(state, false)
      if (error !== undefined) throw error
      return value
    },
    (reason: unknown) => {
      throw finishFailed(state, reason)
    },
  )
}

/** Where a `beforeEach`/`afterEach` hook runs now: in the current test, or in its tail. */
function hookRun(): TestRun | undefined {
  const state = current
  if (state === undefined) return undefined
  if (state.phase === 'test') return state.run
  state.tail ??= openTest(state.ref, {}, state.sink)
  return state.tail
}

function wrapHook(hook: MochaRunnable): void {
  const fn = hook.fn
  if (typeof fn !== 'function' || OWN in fn || ORIGINAL in fn) return
  const wrapper = function loopcopHook(this: unknown, ...args: unknown[]): unknown {
    const run = hookRun()
    if (run === undefined) return Reflect.apply(fn, this, args) as unknown
    if (typeof args[0] === 'function') args[0] = outsideDone(args[0], hook, (err) => (err ? hidingOwnFrames(run, err) : err))
    return run.run(() => Reflect.apply(fn, this, args) as unknown)
  }
  hook.fn = disguise(wrapper, fn)
}

/** A suite's own `beforeEach` and `afterEach` hooks. */
function eachHooks(suite: MochaSuite): MochaRunnable[] {
  const fields = suite as unknown as Record<string, MochaRunnable[] | undefined>
  const hooksOf = (name: string): MochaRunnable[] => (typeof suite.getHooks === 'function' ? suite.getHooks(name) : fields[`_${name}`]) ?? []
  return [...hooksOf('beforeEach'), ...hooksOf('afterEach')]
}

/**
 * Makes the `beforeEach`/`afterEach` hooks of a test's suites part of the test (each hook is
 * wrapped once; `beforeAll`/`afterAll` hooks belong to no test and are not checked).
 */
function wrapHooks(suite: MochaSuite | undefined): void {
  for (let s = suite; s !== undefined && !wrappedSuites.has(s); s = s.parent) {
    wrappedSuites.add(s)
    for (const hook of eachHooks(s)) wrapHook(hook)
  }
}

/**
 * Gives loopcop's own `beforeEach`/`afterEach` root hooks a context of their own (before the first
 * test). Mocha runs a hook with its suite's context, and sets `currentTest` on it before each run
 * and deletes it after; the root suite's context is the prototype of every suite's context, so each
 * of those changes made V8 drop what it had cached about all of them (on express's 1,256 tests, two
 * fifths of the instructions loopcop added). A context made from the root's (`Object.create`) reads
 * the same through its prototype and is the prototype of nothing. A root hook of the user's keeps
 * the root's context, as it would without loopcop.
 */
export function ownHookContexts(root: MochaSuite): void {
  const shared = root.ctx
  if (shared === undefined) return
  for (const hook of eachHooks(root)) {
    if (hook.ctx === shared && typeof hook.fn === 'function' && OWN in hook.fn) hook.ctx = Object.create(shared) as object
  }
}

/** Root suites whose spec files are registered. */
const registeredRoots = new WeakSet<MochaSuite>()

/**
 * Registers the spec files of the run (the files Mocha loaded: its `spec` globs and files, all
 * loaded before the first test; a `--parallel` worker's one file) as test files, once per root
 * suite, for the "test code" rule.
 */
function registerSpecFiles(test: MochaRunnable): void {
  let root = test.parent
  while (root?.parent !== undefined) root = root.parent
  if (root === undefined || registeredRoots.has(root)) return
  registeredRoots.add(root)
  const files = new Set<string>()
  const walk = (suite: MochaSuite): void => {
    if (suite.file !== undefined) files.add(suite.file)
    for (const t of suite.tests ?? []) if (t.file !== undefined) files.add(t.file)
    for (const child of suite.suites ?? []) walk(child)
  }
  walk(root)
  addTestFiles(files)
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

/**
 * Starts a test (from the root `beforeEach`, which Mocha runs before every other `beforeEach`):
 * closes the previous one, opens the test's scope and wraps its function.
 */
export function beginTest(test: MochaRunnable, sink: TestSink, tries: Tries<MochaRunnable>): void {
  endCurrent()
  // Both builds of loopcop/mocha may be registered (`.mocharc` and `--require`): the first one
  // to see a test takes it.
  if (typeof test.fn !== 'function' || BEGUN in test) return
  Object.defineProperty(test, BEGUN, { value: true })
  wrapHooks(test.parent)
  registerSpecFiles(test)
  // A retry is a clone: it is the test it was cloned from.
  const ref = refs.of(test.retriedTest?.() ?? test, test.fullTitle(), test.file)
  const original = originalOf(test.fn)
  const state: TestState = { test, ref, sink, tries, original, run: openTest(ref, {}, sink), phase: 'test' }
  current = state
  test.fn = wrapTest(state)
}

/**
 * Closes the current test for good: the part that never finished (a failed hook, `this.skip()`,
 * a timeout) and its `afterEach` hooks. Mocha has reported the test by now: what is found here
 * goes to the run report and is printed, never thrown.
 */
export function endCurrent(): void {
  const state = current
  if (state === undefined) return
  current = undefined
  if (state.phase === 'test') finishTest(state, true)
  const outcome = state.tail?.end(false)
  if (outcome === undefined) return
  state.sink.record(outcome.findings)
  const text = outcome.error?.message ?? outcome.warning
  if (text !== undefined) {
    state.sink.print(`loopcop: an afterEach hook blocked the event loop after Mocha had reported ${JSON.stringify(state.ref.name)}; it is in the run summary (a hook failure would skip the rest of the suite):\n${text}`)
  }
}
