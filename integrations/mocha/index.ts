/**
 * `loopcop/mocha` — a Mocha root hook plugin: `require: ['loopcop/mocha']` in `.mocharc`, or
 * `mocha --require loopcop/mocha`. Every test is checked; one that blocks the event loop fails
 * with the blocking line and the time. Serial and `--parallel`, Mocha 11 and 12.
 *
 * How: a root `beforeEach` (which runs before every other `beforeEach`) opens the test's scope and
 * wraps the test's function, which fails the test itself — never from a root `afterEach` (that
 * skips every remaining test) nor with `this.test.error()` (that reports it passed and failed).
 * `beforeEach` hooks are part of the test; what an `afterEach` hook blocks on is charged to the
 * test in the run report (Mocha has reported the test by then). The run report (summary by call
 * site, JSON, GitHub annotations) is made by the global teardown in the main process from what
 * every `--parallel` worker spooled, and printed on stderr: Mocha's one reporter slot and stdout
 * stay the user's. Configure with `configure()` in a file `require`d next to this one (every
 * worker loads it too), or with `LOOPCOP_*` variables.
 * @module
 */
import { RunCollector, closeSpool, currentOptions, install, openSpool, outsideScopes, readSpool, reportRun, spoolFindings } from '../../src/integration.js'
import type { Finding } from '../../src/integration.js'
import { type MochaRunnable, OWN, beginTest, endCurrent } from './test.js'

/** What `this` is in a root hook: Mocha's context, holding the test about to run. */
interface HookContext {
  readonly currentTest?: MochaRunnable
}

const RUN = Symbol.for('loopcop.mocha.run')

/** The run as the process that reports it sees it (set by the global setup; workers never run it). */
const run: { collector?: InstanceType<typeof RunCollector>; spool?: string } = {}

/** Where a finished test's findings go: the run collector in the reporting process, else the spool. */
function record(findings: readonly Finding[]): void {
  if (findings.length === 0) return
  if (run.collector !== undefined) run.collector.add(findings)
  else spoolFindings(findings)
}

/** loopcop's own output goes to stderr, so `--reporter json` keeps stdout parseable. */
function print(text: string): void {
  outsideScopes(() => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`))
}

const sink = { record, print }

function rootBeforeEach(this: HookContext): void {
  try {
    const test = this.currentTest
    if (test !== undefined) beginTest(test, sink)
  } catch (error) {
    internalError(error)
  }
}

// Mocha runs the root `afterEach` after the suites' own: the test is over. Only bookkeeping here,
// never a throw (a failing root `afterEach` skips every remaining test of the run).
function rootAfterEachOrAll(): void {
  try {
    endCurrent()
  } catch (error) {
    internalError(error)
  }
}

// Throwing from a root hook would skip every remaining test: loopcop's own failures are printed.
function internalError(error: unknown): void {
  print(`loopcop: internal error in the Mocha integration (a bug in loopcop; your tests were not affected):\n${error instanceof Error ? error.stack : String(error)}`)
}

/** The root hooks Mocha registers from `--require loopcop/mocha`: every test becomes a scope. */
export const mochaHooks: { readonly beforeEach: (this: HookContext) => void; readonly afterEach: () => void; readonly afterAll: () => void } = {
  beforeEach: rootBeforeEach,
  afterEach: rootAfterEachOrAll,
  afterAll: rootAfterEachOrAll,
}
for (const hook of Object.values(mochaHooks)) Object.defineProperty(hook, OWN, { value: true })

/**
 * Runs once in the main process, before any test and before `--parallel` workers are started:
 * opens the spool that workers inherit through `LOOPCOP_SPOOL_DIR`.
 */
export function mochaGlobalSetup(): void {
  // One run report per run, even when both builds of loopcop/mocha are registered.
  const home = globalThis as unknown as Record<symbol, unknown>
  if (home[RUN] === true) return
  home[RUN] = true
  run.collector = new RunCollector()
  run.spool = openSpool()
}

/** Runs once in the main process after every test: prints the run summary, writes the JSON report and annotations. */
export function mochaGlobalTeardown(): void {
  endCurrent()
  const collector = run.collector
  if (collector === undefined) return
  if (run.spool !== undefined) {
    collector.add(readSpool(run.spool))
    closeSpool(run.spool)
  }
  const { report } = currentOptions()
  reportRun(collector.findings, { ...(report.json !== undefined && { json: report.json }), ...(report.github !== undefined && { github: report.github }), write: print })
  run.collector = undefined
  run.spool = undefined
  delete (globalThis as unknown as Record<symbol, unknown>)[RUN]
}

// Patch before the spec files load: a `const { readFileSync } = require('fs')` taken before the
// patch is never seen. `--require` modules load before the spec files.
install()
