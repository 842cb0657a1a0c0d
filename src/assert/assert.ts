// `assertNoBlocking` (docs/architecture.md, "assert"): a `node:assert`-style assertion over what a
// function blocked on.
import type { AssertionError } from 'node:assert'
import { createRequire } from 'node:module'
import type { BlockingCheck } from '../accounting/scopes.js'
import type { AssertOptions } from '../model/options.js'
import type { Finding } from '../model/finding.js'
import { listBlocking, totalCalls } from '../report/messages.js'

/** Runs `fn` in an assertion's scope (see `Scopes.check`): `what` names the caller in option errors. */
export type Check = (fn: unknown, options: unknown, what: string) => BlockingCheck | Promise<BlockingCheck>

/** `assertNoBlocking`: returns a promise for an async `fn`. */
export interface AssertNoBlocking {
  (fn: () => PromiseLike<unknown>, options?: AssertOptions): Promise<void>
  (fn: () => unknown, options?: AssertOptions): void
}

/**
 * `node:assert`'s `AssertionError`, loaded at the first failure: loading `node:assert` costs a
 * process 1.8 ms on Node 20 and 2.4 ms on Node 24 (it sets up stderr's colours), most runs never
 * fail an assertion, and Mocha does not load it itself.
 */
let assertionError: typeof AssertionError | undefined
function AssertionErrorClass(): typeof AssertionError {
  assertionError ??= (createRequire(process.execPath)('node:assert') as typeof import('node:assert')).AssertionError
  return assertionError
}

function failure(blocking: readonly Finding[], site: { stack?: string }): AssertionError {
  const n = totalCalls(blocking)
  const message = `Expected fn not to block the event loop, but it made ${n} blocking call${n === 1 ? '' : 's'}:\n${listBlocking(blocking)}`
  const error = new (AssertionErrorClass())({ message, actual: blocking, expected: [], operator: 'assertNoBlocking' })
  // The findings carry the blocking lines; the stack points at the assertion, captured when it
  // was called (an async `fn` settles later, where the stack would show only promise machinery).
  const at = site.stack === undefined ? -1 : site.stack.indexOf('\n    at ')
  if (at >= 0) error.stack = `${error.name} [${error.code}]: ${message}${(site.stack as string).slice(at)}`
  // Runners would print a diff of two arrays of findings: the message says it better.
  return Object.assign(error, { showDiff: false })
}

/**
 * Makes `assertNoBlocking` over a detector's `check`: throws an `AssertionError` listing each
 * blocking call (operation, time, line, async alternative), whose `actual` holds the findings.
 */
export function createAssertNoBlocking(check: Check): AssertNoBlocking {
  function assertNoBlocking(fn: () => unknown, options?: AssertOptions): void | Promise<void> {
    const site: { stack?: string } = {}
    Error.captureStackTrace(site, assertNoBlocking)
    const checked = check(fn, options, 'assertNoBlocking()')
    const verdict = (c: BlockingCheck): void => {
      if (c.blocking.length > 0) throw failure(c.blocking, site)
    }
    if (checked instanceof Promise) return checked.then(verdict)
    verdict(checked)
  }
  return assertNoBlocking as AssertNoBlocking
}
