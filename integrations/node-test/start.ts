/**
 * What `loopcop/node-test` does in a process that runs tests (or may: a test file a test started),
 * loaded by its entry only there (see `src/runner/node-test-process.ts`). Built as an entry of its
 * own, in the CommonJS build only ever loaded: both builds' `loopcop/node-test` `require` it, before
 * the test files load.
 * @module
 */
import { registerAssertion } from './assert.js'
import { SPOOL_ENV, WARNED_ENV, checkEnvironment, install, loadOrderWarning, loadedBefore, prepareStalls } from './core.js'
import { interceptNodeTest } from './internals.js'
import { ProcessSink, reporterSpool, treeComesLater } from './run.js'
import { NodeTestLifecycle } from './test.js'

/**
 * Sets loopcop up in a process that runs tests. `startedByATest`: a test started this process
 * with its own options (a test file it runs itself), rather than node:test.
 */
export function start(startedByATest: boolean): void {
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
  install()
  // The stall watchdog's thread takes ~20–50 ms of CPU to start: started now, it starts while the
  // test file loads, not during its first tests, and a short test file's process no longer waits
  // at its exit for a thread still starting (bench/README.md, "Thirty-second pass"). A set-up
  // module that turns stall detection off (`configure({ stallMs: 0 })`) stops it again. Not in a
  // process a test started: it runs tests, but is most likely short; a test there starts it.
  if (!startedByATest) prepareStalls()
  // Node loads every `--require` module before any `--import` one, whatever their order on the
  // command line (pino-pretty's trial: `--import loopcop/node-test --require ./setup.cjs`).
  const notice = loadOrderWarning(loadedBefore(), 'loopcop/node-test', 'Put `--import loopcop/node-test` first on the command line; with set-up modules given to `--require`, which Node loads before any `--import`, use `--require loopcop/node-test`, first among them.')
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
