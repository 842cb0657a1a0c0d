// How `loopcop/vitest` scopes tests on Vitest versions without `aroundEach` (before 4.1): each test
// function and each beforeEach/afterEach hook is wrapped, before the file's tests run, to run in
// its test's scope — opened by whichever of them runs first, ended by an onTestFinished callback.
import * as vitest from 'vitest'
import type { RunnerTestCase, RunnerTestFile, RunnerTestSuite, TestContext } from 'vitest'
import { type TestRun, keepShape } from '../../src/integration.js'

/**
 * The suite a `beforeAll`/`afterAll` callback runs for: its last argument (Vitest 4.1 passes
 * `(context, suite)`, 4.0 `(suite)`). Callbacks take no declared parameters because Vitest 4.1
 * parses the first one as a fixtures pattern when the file uses `test.extend`.
 */
export function suiteArgument(args: ArrayLike<unknown>): RunnerTestSuite | RunnerTestFile {
  return args[args.length - 1] as RunnerTestSuite | RunnerTestFile
}

/** Scopes every test of each file through wrapped test functions and hooks; `finish` ends a test's scope. */
export function scopeTestsWithoutAroundEach(open: (task: RunnerTestCase) => TestRun, finish: (task: RunnerTestCase, test: TestRun) => void): void {
  const runs = new WeakMap<RunnerTestCase, TestRun>()
  const runOf = (task: RunnerTestCase): TestRun => {
    let run = runs.get(task)
    if (run === undefined) {
      const opened = open(task)
      run = opened
      runs.set(task, opened)
      task.context.onTestFinished(() => {
        runs.delete(task)
        finish(task, opened)
      })
    }
    return run
  }
  vitest.beforeAll(async function wrap() {
    // eslint-disable-next-line prefer-rest-params
    const suite = suiteArgument(arguments)
    wrapSuite(await runnerApi(), suite, runOf)
  })
}

type HookFn = (context: TestContext, suite: RunnerTestSuite) => unknown

/** `to`, shaped like `from` for Vitest: `length`, `name`, and whatever Vitest keeps on its functions. */
function copyProps<T extends Function>(from: Function, to: T): T {
  const own: Record<PropertyKey, unknown> = {}
  for (const key of Reflect.ownKeys(from)) {
    if (key !== 'length' && key !== 'name' && key !== 'prototype') own[key] = (from as unknown as Record<PropertyKey, unknown>)[key]
  }
  return keepShape(to, from, own)
}

/** The runner's registry of test functions and hooks. */
interface RunnerApi {
  getHooks(suite: RunnerTestSuite | RunnerTestFile): unknown
  getFn(test: RunnerTestCase): unknown
  setFn(test: RunnerTestCase, fn: () => Promise<void>): void
}

async function runnerApi(): Promise<RunnerApi> {
  // Vitest 4.1 moved these to static methods of TestRunner and warns (once per file) on `vitest/suite`;
  // but its `TestRunner.setTestFn` is `getFn` (4.1.12), so `vitest/suite` it is until that is fixed.
  const runner = (vitest as { TestRunner?: { getSuiteHooks?: unknown; getTestFn?: unknown; setTestFn?: unknown } }).TestRunner
  if (typeof runner?.getSuiteHooks === 'function' && typeof runner.getTestFn === 'function' && typeof runner.setTestFn === 'function' && runner.setTestFn !== runner.getTestFn) {
    return { getHooks: runner.getSuiteHooks, getFn: runner.getTestFn, setFn: runner.setTestFn } as RunnerApi
  }
  // Not a literal specifier: Vite's import analysis resolves every literal `import()` of a setup
  // file while transforming it, guarded or not, and Vitest 5.1 no longer exports `vitest/suite`.
  return (await import(/* @vite-ignore */ suiteModule)) as RunnerApi
}

/** Where Vitest before 4.1 exports its runner registry; kept out of import analysis (see `runnerApi`). */
const suiteModule = ['vitest', 'suite'].join('/')

function wrapSuite(runnerApi: RunnerApi, suite: RunnerTestSuite | RunnerTestFile, runOf: (task: RunnerTestCase) => TestRun): void {
  const hooks = runnerApi.getHooks(suite) as { beforeEach: HookFn[]; afterEach: HookFn[] } | undefined
  if (hooks !== undefined) {
    for (const list of [hooks.beforeEach, hooks.afterEach]) {
      list.forEach((hook, i) => {
        list[i] = copyProps(hook, (context: TestContext, s: RunnerTestSuite) => runOf(context.task as RunnerTestCase).run(() => hook(context, s)))
      })
    }
  }
  for (const task of suite.tasks) {
    if (task.type === 'suite') wrapSuite(runnerApi, task, runOf)
    else {
      const fn = runnerApi.getFn(task) as (() => unknown) | undefined
      if (fn !== undefined) runnerApi.setFn(task, copyProps(fn, () => runOf(task).run(fn) as Promise<void>))
    }
  }
}
