import { als } from './context.js'
import { currentOptions } from './config.js'
import type { Finding } from './findings.js'

let callbackFailed = false

/**
 * Hands a finding to the user's `onFinding`, outside every scope (so its own I/O is never a
 * finding). A throwing callback is reported once on stderr and never reaches the code under test.
 */
export function notifyFinding(finding: Finding): void {
  const callback = currentOptions().onFinding
  if (callback === undefined) return
  try {
    als.exit(() => callback(finding))
  } catch (error) {
    if (callbackFailed) return
    callbackFailed = true
    process.stderr.write(`loopcop: the onFinding callback threw (reported once, later throws are ignored; the code under test is not affected):\n${describeError(error)}\n`)
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error)
}

/** Reports an error inside loopcop's own bookkeeping: once per message on stderr, never thrown into user code. */
const seen = new Set<string>()
export function reportInternalError(error: unknown): void {
  const text = describeError(error)
  if (seen.has(text)) return
  seen.add(text)
  process.stderr.write(`loopcop: internal error (a bug in loopcop; the code under test was not affected):\n${text}\n`)
}
