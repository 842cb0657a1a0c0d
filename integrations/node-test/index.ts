/**
 * `loopcop/node-test` — Node's built-in test runner: `node --test --import loopcop/node-test`
 * (`--require loopcop/node-test` in CommonJS set-ups). Every test and subtest (`test`, `it`,
 * `t.test`) runs in a scope of its own with its `beforeEach`/`afterEach` hooks, and one that blocks
 * the event loop fails with the blocking line, the time and the async alternative. Node 20, 22, 24
 * and 26, each test file in its own process or all in one (`--test-isolation=none`).
 *
 * The run report (summary by call site, JSON report, GitHub annotations) is made by
 * `loopcop/node-test/reporter`, next to your own reporter (see `run.ts` for why it takes one):
 * `--test-reporter=spec --test-reporter-destination=stdout --test-reporter=loopcop/node-test/reporter --test-reporter-destination=stderr`.
 * Configure with `configure()` in a module imported after this one (`--import ./loopcop.setup.mjs`),
 * or with `LOOPCOP_*` variables. With Node 22.14 and later, `t.assert.doesNotBlock(fn)` asserts
 * that `fn` does not block (`assertNoBlocking` from `loopcop` everywhere).
 * @module
 */
import { isMainThread } from 'node:worker_threads'
import { registerAssertion } from './assert.js'
import { SPOOL_ENV, WARNED_ENV, checkEnvironment, install, loadOrderWarning, loadedBefore, prepareStalls } from './core.js'
import { interceptNodeTest } from './internals.js'
import { ProcessSink, mainModuleMayTest, reporterSpool, runsTests, startedByATest, treeComesLater } from './run.js'
import { NodeTestLifecycle } from './test.js'

export type { DoesNotBlockOptions } from './assert.js'

if (runsTests()) start()

/** Sets loopcop up in a process that runs tests. */
function start(): void {
  // A wrong LOOPCOP_* variable stops each test file here, before its tests, with the variable named.
  checkEnvironment('loopcop/node-test')
  // Spool and printed-site variables this run's reporter did not set come from an outer loopcop run
  // (a Mocha `--parallel` run that started `node --test` in a test): its report is not this run's,
  // nor are the call sites it printed.
  if (reporterSpool() === undefined) {
    Reflect.deleteProperty(process.env, SPOOL_ENV)
    Reflect.deleteProperty(process.env, WARNED_ENV)
  }
  // Patch before the test files load: a `const { readFileSync } = require('fs')` taken before the
  // patch is never seen. `--import` and `--require` modules run before the test file.
  const spawnedByATest = startedByATest()
  // A worker thread a test started (it inherits `--import loopcop/node-test`, and NODE_TEST_CONTEXT
  // with the environment): it runs no test. Calls are wrapped (for `detect()` and the assertions),
  // but node:test is left alone: its harness, made there, would put process handlers ahead of the
  // worker's own (pino's transports failed on its `unhandledRejection` handler rethrowing).
  const inWorker = !isMainThread
  install()
  // The stall watchdog's thread takes ~20–50 ms of CPU to start: started now, it starts while the
  // test file loads, not during its first tests, and a short test file's process no longer waits
  // at its exit for a thread still starting (bench/README.md, "Thirty-second pass"). A set-up
  // module that turns stall detection off (`configure({ stallMs: 0 })`) stops it again. Not in a
  // process a test started (a CLI under test, run with the test process's options): it most
  // likely runs no test, and would pay the thread's start for nothing; a test there starts it.
  if (!spawnedByATest && !inWorker) prepareStalls()
  // A CLI a test started, not a test file: calls are still wrapped (for `detect()` and the
  // assertions), but node:test is left alone (see `mainModuleMayTest`).
  if (inWorker || (spawnedByATest && !mainModuleMayTest())) return
  const notice = loadOrderWarning(loadedBefore(), 'loopcop/node-test', 'Put `--import loopcop/node-test` (or `--require`) first on the command line.')
  const lifecycle = new NodeTestLifecycle(new ProcessSink(notice === undefined ? [] : [notice]))
  const intercept = (): void => {
    if (!interceptNodeTest(lifecycle, lifecycle.run)) return
    registerAssertion()
    // A test that calls process.exit(): what it blocked on still reaches the run report, and a
    // verdict it can no longer fail it with fails its test file (through the exit code).
    process.once('exit', () => {
      const errors = lifecycle.endAll()
      if (errors.length === 0) return
      for (const error of errors) process.stderr.write(`loopcop: the process exited in the middle of a test that blocked the event loop:\n${error.message}\n`)
      if (Number(process.exitCode ?? 0) === 0) process.exitCode = 1
    })
  }
  if (treeComesLater()) process.nextTick(intercept)
  else intercept()
}
