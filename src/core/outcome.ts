import { BlockingIOError, LoopcopInternalError } from './errors.js'
import type { Finding } from './findings.js'
import { failureMessage } from './messages.js'
import type { Mode } from './options.js'
import type { Scope } from './scope.js'

/** How a test's scope ended, for a runner integration to act on. */
export interface TestOutcome {
  /** Every finding of the test, allowed ones included. */
  readonly findings: readonly Finding[]
  /** Fail the test with this (`fail` mode, or loopcop's own failure). */
  readonly error?: Error
  /** Print this and let the test pass (`warn` mode). */
  readonly warning?: string
}

function modeOf(f: Finding, scope: Scope): Mode {
  return f.kind === 'stall' ? scope.settings.stallMode : scope.settings.mode
}

/**
 * Ends a test's scope and decides: `fail` findings become a `BlockingIOError`, `warn` ones a
 * printed warning. A call refused in `throw` mode already failed the test, unless the test
 * swallowed the error (`testFailed: false`), in which case it fails the test here.
 */
export function endTest(scope: Scope, state: { readonly testFailed: boolean }): TestOutcome {
  const findings = scope.end()
  const title = scope.test?.name
  const failing: Finding[] = []
  const warning: Finding[] = []
  for (const f of findings) {
    if (f.allowed) continue
    const mode = modeOf(f, scope)
    if (mode === 'warn') warning.push(f)
    else if (mode === 'fail' || mode === 'throw') {
      if (f.kind === 'sync-io' && f.raised && state.testFailed) continue
      failing.push(f)
    }
  }
  const internal = scope.internalErrors[0]
  const error = internal !== undefined ? new LoopcopInternalError('loopcop failed while recording a blocking call', { cause: internal }) : failing.length > 0 ? new BlockingIOError(failing, title) : undefined
  return {
    findings,
    ...(error !== undefined && { error }),
    ...(warning.length > 0 && { warning: `loopcop (warn): ${failureMessage(warning, title)}` }),
  }
}
