/**
 * Everything `loopcop/node-test` takes from loopcop's core, in one place: the integration's other
 * modules import from here only, so a change of the core's integration API (`src/integration.ts`)
 * is adapted here once. Shaped like the core's test lifecycle: a test is opened, its functions
 * `run()` in its scope, and it is `finish()`ed with its verdict; the run is started in the process
 * that reports it, tests' findings are recorded wherever they ran, and the run is finished there.
 * @module
 */
import {
  BlockingIOError,
  RunCollector,
  closeSpool,
  currentOptions,
  endTest,
  envOverrides,
  install,
  loadOrderWarning,
  loadedBefore,
  openScope,
  openSpool,
  outsideScopes,
  readSpool,
  reportRun,
  runInScope,
  spoolFindings,
} from '../../src/integration.js'
import type { Finding, Options, TestRef } from '../../src/integration.js'
import { assertNoBlocking } from '../../src/index.js'

export type { Finding, Options, TestRef }
export { BlockingIOError, assertNoBlocking, currentOptions, envOverrides, install, loadOrderWarning, loadedBefore, outsideScopes, reportRun }

/** A loopcop mode (`fail`, `throw`, `warn`, `off`). */
export type Mode = Options['mode']

/** Where a test's results go. Called outside every scope. */
export interface TestSink {
  /** The findings of a finished test, allowed ones included: for the run report. */
  record(findings: readonly Finding[]): void
  /** A `warn` mode message. */
  print(text: string): void
  /** A finding after the test ended (work it left running), with the mode that judges it. */
  leak(finding: Finding, mode: Mode): void
}

/** One test as loopcop checks it: a scope its functions run in, ended once with its verdict. */
export interface TestRun {
  /** Whether the verdict is in (what the test's work blocks on from now on is a leak). */
  readonly ended: boolean
  /** Runs `fn` in the test's scope: timers and promise continuations it starts stay in it. */
  run<T>(fn: () => T): T
  /** Ends the test: findings recorded, a warning printed, the error to fail it with returned. Later calls do nothing. */
  finish(testFailed: boolean): Error | undefined
}

/**
 * Opens a test, outside every other scope: a subtest is a test of its own, and node:test starts
 * subtests inside their parent's body.
 */
export function openTest(test: TestRef, sink: TestSink): TestRun {
  const scope = outsideScopes(() => openScope('test', { test }))
  scope.onLeak = (finding) => outsideScopes(() => sink.leak(finding, finding.kind === 'stall' ? scope.settings.stallMode : scope.settings.mode))
  return {
    get ended() {
      return scope.ended
    },
    run: (fn) => runInScope(scope, fn),
    finish(testFailed) {
      if (scope.ended) return undefined
      const outcome = endTest(scope, { testFailed })
      outsideScopes(() => {
        if (outcome.findings.length > 0) sink.record(outcome.findings)
        if (outcome.warning !== undefined) sink.print(outcome.warning)
      })
      return outcome.error
    },
  }
}

// ── the run ─────────────────────────────────────────────────────────────────────────────────────

/** The core's spool variable: the folder test processes append their findings to. */
export const SPOOL_ENV = 'LOOPCOP_SPOOL_DIR'

/** The run this process records (its reporter's), once started. */
const recording: { collector?: InstanceType<typeof RunCollector>; spool?: string } = {}

/** Starts recording the run in the reporting process: test processes started after it send their findings to it. */
export function startRun(): void {
  recording.collector = new RunCollector()
  recording.spool = openSpool()
}

/** A finished test's findings (or a leak), for the run report, wherever the run is recorded. */
export function recordFindings(findings: readonly Finding[]): void {
  if (findings.length === 0) return
  if (recording.collector !== undefined) recording.collector.add(findings)
  else spoolFindings(findings)
}

/** Ends the run recording: every finding once, and how many could not be read back. */
export function finishRun(): { readonly findings: Finding[]; readonly lost: number } {
  const collector = recording.collector ?? new RunCollector()
  let lost = 0
  if (recording.spool !== undefined) {
    const spooled = readSpool(recording.spool)
    collector.add(spooled.findings)
    lost = spooled.damaged
    closeSpool(recording.spool)
  }
  recording.collector = undefined
  recording.spool = undefined
  return { findings: collector.findings, lost }
}
