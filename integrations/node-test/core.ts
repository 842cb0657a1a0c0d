/**
 * Everything `loopcop/node-test` takes from loopcop's core, in one place: the integration's other
 * modules import from here only. The core's test lifecycle (docs/architecture.md, "lifecycle"): a
 * test is opened, its functions `run()` in its scope, and it is `finish()`ed with its verdict; the
 * run is started in the process that reports it, tests' findings are recorded wherever they ran,
 * and the run is finished there.
 * @module
 */
import { openTest as openCoreTest } from '../../src/integration.js'
import type { TestRef, TestRun, TestSink } from '../../src/integration.js'

export type { Completeness, Finding, Mode, Options, TestRef, TestRun, TestSink } from '../../src/integration.js'
export {
  BlockingIOError,
  leakNotice,
  PARTIAL,
  TestRefs,
  WARNED_ENV,
  currentOptions,
  checkEnvironment,
  envOverrides,
  failedNothing,
  finishRun,
  firstPartial,
  install,
  isDependency,
  isThenable,
  isViolation,
  loadOrderWarning,
  loadedBefore,
  loaderLinesNote,
  givenFlags,
  nodeFlags,
  missingReporterError,
  outsideScopes,
  prepareStalls,
  recordFindings,
  reportRun,
  startRun,
  lineWriterOf,
} from '../../src/integration.js'
export { assertNoBlocking } from '../../src/index.js'

/**
 * Opens a test (outside every other scope: a subtest is a test of its own, and node:test starts
 * subtests inside their parent's body).
 */
export function openTest(test: TestRef, sink: TestSink): TestRun {
  return openCoreTest(test, {}, sink)
}

/** The core's spool variable: the folder the run's test processes append their findings to (set by `startRun`). */
export const SPOOL_ENV = 'LOOPCOP_SPOOL_DIR'
