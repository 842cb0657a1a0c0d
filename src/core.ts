/**
 * The one module every entry point shares: the process's detector, and the pure helpers the entry
 * points hand on. The build keeps it one file (`dist/cjs/src/core-bundle.js`) that `index.js`,
 * `integration.js` and every integration load through their build's `src/core.js`, so a process
 * evaluates loopcop's core once (docs/architecture.md, "loading the core").
 * @module
 */
export { detector } from './process.js'
export { assertSupportedRunner, unsupportedRunner } from './runner/runner-version.js'
export { loadOrderWarning, loadedBefore } from './runner/load-order.js'
export { OPTION_KEYS, SCOPE_OPTION_KEYS, checkEnvironment, envOverrides, validateOptions } from './model/options.js'
export { failureMessage, leakExplainedKey, leakMessage, listBlocking, warnSiteKey } from './report/messages.js'
export { loaderLinesNote } from './report/loader-lines.js'
export { unmappedLinesNote } from './report/unmapped-lines.js'
export { gatheredLeaks } from './report/leaks.js'
export { failedItsTest, failedNothing, isUnjudged, isViolation, quotedName, testKey } from './model/finding.js'
export { RunCollector, RunRecording } from './report/run.js'
export { PARTIAL, firstPartial, isGiven } from './model/completeness.js'
export { WARNED_ENV } from './report/warned.js'
export { formatSummary } from './report/summary.js'
export { jsonReport } from './report/json.js'
export { missingReporterError } from './report/missing-reporter.js'
export { copyOwnProperties, defineHidden, isThenable, keepShape, whenSettled } from './runtime/functions.js'
export { warnOf, lineWriterOf } from './runtime/console.js'
export { projectCwd } from './runtime/cwd.js'
export { now } from './runtime/clock.js'
export { isDependency } from './runtime/packages.js'
export { givenFlags, nodeFlags } from './runtime/node-flags.js'
export { TestRefs } from './model/finding.js'
export { Tries } from './report/tries.js'
