// Everything one loopcop instance implements. `shared.ts` makes sure a process uses ONE of
// these, whichever build (ESM or CJS) or realm (Jest's test realm) loaded first.
export { configure, currentOptions } from './config.js'
export { detect, detectSync, allowBlocking, openScope, runInScope, currentScope, outsideScopes, orphanLeaks, Scope, isThenable } from './scope.js'
export { install, uninstall, isInstalled, patchRealm, markAsBlocking } from './intercept.js'
export { BlockingIOError, LoopcopInternalError } from './errors.js'
export { endTest } from './outcome.js'
export { RunCollector, jsonReport, writeJsonReport, formatSummary, githubAnnotations, summarizeBySite, toJsonFinding } from './report.js'
export { failureMessage, describeFinding, formatMs } from './messages.js'
export { builtinRuleList } from './allow.js'
export { catalog } from './operations.js'
export { addOwnRoot } from './stack.js'
export { validateOptions, envOverrides } from './options.js'
