/**
 * One Mocha test as a loopcop scope: its `beforeEach` hooks, its function (sync, promise or
 * `done`) and what they start. The test's function is wrapped so the verdict fails the test itself.
 * `afterEach` hooks run after Mocha has reported the test: what they block on is charged to the
 * test in the run report, but can no longer fail it (failing the hook would skip the suite).
 * @module
 */
import { type Finding, type Scope, type TestRef, endTest, openScope, outsideScopes, runInScope } from '../../src/integration.js'

/** The part of a Mocha `Test` or `Hook` loopcop touches. */
export interface MochaRunnable {
  fn?: Function
  readonly title: string
  readonly file?: string
  readonly parent?: MochaSuite
  fullTitle(): string
}

/** The part of a Mocha `Suite` loopcop touches. */
export interface MochaSuite {
  readonly parent?: MochaSuite
  getHooks?(name: string): MochaRunnable[] | undefined
}

/** Where a test's outcome goes: findings to the run report, messages to the terminal. */
export interface Sink {
  record(findings: readonly Finding[]): void
  print(text: string): void
}

interface TestState {
  readonly test: MochaRunnable
  readonly ref: TestRef
  readonly scope: Scope
  readonly original: Function
  readonly sink: Sink
  /** `test` until the test's function settles, then `tail` (its `afterEach` hooks). */
  phase: 'test' | 'tail'
  tail?: Scope
}

/** On a wrapper: the function it wraps (a retried test is cloned with its wrapper). */
const ORIGINAL = Symbol.for('loopcop.mocha.original')
/** On loopcop's own root hooks: never wrapped. */
export const OWN = Symbol.for('loopcop.mocha.own')

/** On a test one copy of the integration has begun. */
const BEGUN = Symbol.for('loopcop.mocha.begun')

let current: TestState | undefined
const wrappedSuites = new WeakSet<object>()

function originalOf(fn: Function): Function {
  return ((fn as unknown as Record<symbol, Function | undefined>)[ORIGINAL]) ?? fn
}

/** Makes `wrapper` look like `original` to Mocha: `length` (done-style or not), source text, the link back. */
function disguise(wrapper: Function, original: Function): Function {
  Object.defineProperty(wrapper, 'length', { value: original.length })
  Object.defineProperty(wrapper, 'toString', { value: () => original.toString() })
  Object.defineProperty(wrapper, ORIGINAL, { value: original })
  return wrapper
}

function newScope(state: { readonly ref: TestRef; readonly sink: Sink }): Scope {
  // Opened outside every scope: Mocha may reach here inside a previous test's continuation.
  const scope = outsideScopes(() => openScope('test', { test: state.ref }))
  scope.onLeak = (finding) => state.sink.record([finding])
  return scope
}

/** The `done` Mocha passes, called outside the test's scope so Mocha's own work is never charged to it. */
function outsideDone(done: Function, before?: (err: unknown) => unknown): Function {
  return function loopcopDone(this: unknown, ...args: unknown[]): unknown {
    return outsideScopes(() => {
      if (before !== undefined) args[0] = before(args[0])
      return Reflect.apply(done, this, args)
    })
  }
}

/**
 * Ends the test's own part and returns the error to fail it with, if any. Later calls (a second
 * `done()`, a late settle after a timeout) do nothing.
 */
function finishTest(state: TestState, testFailed: boolean): Error | undefined {
  if (state.phase !== 'test') return undefined
  state.phase = 'tail'
  if (state.test.fn !== state.original) state.test.fn = state.original
  const outcome = endTest(state.scope, { testFailed })
  state.sink.record(outcome.findings)
  if (outcome.warning !== undefined) state.sink.print(outcome.warning)
  return outcome.error
}

/** Wraps the test's function: run in the scope, then fail the test from here if it blocked. */
function wrapTest(state: TestState): Function {
  const original = state.original
  const wrapper = function loopcopTest(this: unknown, ...args: unknown[]): unknown {
    if (current !== state || state.phase !== 'test') return Reflect.apply(original, this, args)
    const done = args[0]
    if (typeof done === 'function') {
      args[0] = outsideDone(done, (err) => {
        const error = finishTest(state, Boolean(err))
        return err ? err : error
      })
      try {
        return runInScope(state.scope, () => Reflect.apply(original, this, args))
      } catch (error) {
        finishTest(state, true)
        throw error
      }
    }
    let result: unknown
    try {
      result = runInScope(state.scope, () => Reflect.apply(original, this, args))
    } catch (error) {
      finishTest(state, true)
      throw error
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
        finishTest(state, true)
        throw reason
      },
    )
  }
  return disguise(wrapper, original)
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

/** The scope a `beforeEach`/`afterEach` hook runs in now: the current test's, or its tail's. */
function hookScope(): Scope | undefined {
  const state = current
  if (state === undefined) return undefined
  if (state.phase === 'test') return state.scope
  state.tail ??= newScope(state)
  return state.tail
}

function wrapHook(hook: MochaRunnable): void {
  const fn = hook.fn
  if (typeof fn !== 'function' || OWN in fn || ORIGINAL in fn) return
  const wrapper = function loopcopHook(this: unknown, ...args: unknown[]): unknown {
    const scope = hookScope()
    if (scope === undefined) return Reflect.apply(fn, this, args)
    if (typeof args[0] === 'function') args[0] = outsideDone(args[0])
    return runInScope(scope, () => Reflect.apply(fn, this, args))
  }
  hook.fn = disguise(wrapper, fn)
}

/**
 * Makes the `beforeEach`/`afterEach` hooks of a test's suites part of the test (each hook is
 * wrapped once; `beforeAll`/`afterAll` hooks belong to no test and are not checked).
 */
function wrapHooks(suite: MochaSuite | undefined): void {
  for (let s = suite; s !== undefined && !wrappedSuites.has(s); s = s.parent) {
    wrappedSuites.add(s)
    const fields = s as unknown as Record<string, MochaRunnable[] | undefined>
    for (const name of ['beforeEach', 'afterEach']) {
      const hooks = typeof s.getHooks === 'function' ? s.getHooks(name) : fields[`_${name}`]
      for (const hook of hooks ?? []) wrapHook(hook)
    }
  }
}

/**
 * Starts a test (from the root `beforeEach`, which Mocha runs before every other `beforeEach`):
 * closes the previous one, opens the test's scope and wraps its function.
 */
export function beginTest(test: MochaRunnable, sink: Sink): void {
  endCurrent()
  // Both builds of loopcop/mocha may be registered (`.mocharc` and `--require`): the first one
  // to see a test takes it.
  if (typeof test.fn !== 'function' || BEGUN in test) return
  Object.defineProperty(test, BEGUN, { value: true })
  wrapHooks(test.parent)
  const ref: TestRef = { name: test.fullTitle(), ...(test.file !== undefined && { file: test.file }) }
  const original = originalOf(test.fn)
  const partial = { ref, sink }
  const state: TestState = { test, ref, sink, original, scope: newScope(partial), phase: 'test' }
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
  if (state.tail === undefined) return
  const outcome = endTest(state.tail, { testFailed: false })
  state.sink.record(outcome.findings)
  const text = outcome.error?.message ?? outcome.warning
  if (text !== undefined) {
    state.sink.print(`loopcop: an afterEach hook blocked the event loop after Mocha had reported ${JSON.stringify(state.ref.name)}; it is in the run summary (a hook failure would skip the rest of the suite):\n${text}`)
  }
}
