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
 *
 * Only a process that runs tests loads loopcop's core (`start.ts`). The options a test process
 * was given reach every worker thread and process its tests start (`--import` on the command line
 * is inherited by `new Worker(file)`, `NODE_OPTIONS` by every child); those run no test, and
 * loading the core there cost ~30 ms of CPU each (pino's transports: 66 worker threads and 30
 * processes in one run; bench/README.md, "Sixty-second pass").
 * @module
 */
import { createRequire } from 'node:module'
import { isMainThread } from 'node:worker_threads'
import { mainModuleMayTest, runsTests, startedByATest } from '../../src/runner/node-test-process.js'
import { ownFile } from '../own-file.js'

export type { DoesNotBlockOptions } from './assert.js'

// A worker thread never runs this process's tests (a test started it); nor does a CLI a test
// started with its options, whose main module does not use node:test (see `mainModuleMayTest`).
// `startedByATest` marks this process for its children, so it is asked only where tests run.
if (isMainThread && runsTests()) {
  const byATest = startedByATest()
  if (!byATest || mainModuleMayTest()) loadStart().start(byATest)
}

/**
 * `start.ts`'s CommonJS build, from either build of this module: `require` is synchronous, so
 * everything is in place before the test files load, from `--import` as from `--require`.
 */
function loadStart(): typeof import('./start.js') {
  const own = ownFile()
  if (own === undefined) throw new Error('loopcop/node-test: could not read its own file name from the stack (Error.prepareStackTrace replaced before it loaded?), and so cannot load the rest of itself. Put `--import loopcop/node-test` first on the command line.')
  return createRequire(own)('../../../cjs/integrations/node-test/start.js') as typeof import('./start.js')
}
