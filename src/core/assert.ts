import { AssertionError } from 'node:assert'
import { als } from './context.js'
import type { Finding } from './findings.js'
import { describeFinding, findingDetail, totalCalls } from './messages.js'
import { type ScopeOptions, validateOptions } from './options.js'
import { isThenable, openScope } from './scope.js'

/** The options an assertion takes (the same as the `toBlockEventLoop` matcher's). */
export type AssertOptions = Pick<ScopeOptions, 'stallMs' | 'allow' | 'traceDepth' | 'moduleLoading'>

const ASSERT_KEYS = ['stallMs', 'allow', 'traceDepth', 'moduleLoading'] as const

/** What `fn` did, as an assertion sees it. */
export interface BlockingCheck {
  /** Every finding, allowed ones included. */
  readonly findings: readonly Finding[]
  /** The findings that are not allowed: what the assertion is about. */
  readonly blocking: readonly Finding[]
}

function checked(findings: Finding[]): BlockingCheck {
  return { findings, blocking: findings.filter((f) => !f.allowed) }
}

/**
 * Runs `fn` in a scope of its own for an assertion (`assertNoBlocking`, the Chai plugin): a sync
 * `fn` gives its check at once, an async one a promise. What `fn` blocks on is the assertion's
 * subject, never charged again to the enclosing test. Recording always uses `fail` mode (a
 * configured `throw` or `off` would defeat the assertion). `what` names the caller in option errors.
 */
export function checkBlocking(fn: unknown, options: unknown, what: string): BlockingCheck | Promise<BlockingCheck> {
  if (typeof fn !== 'function') throw new TypeError(`Expected ${what} to get a function to call, got \`${String(fn)}\` (${typeof fn})`)
  const valid = validateOptions(options, [...ASSERT_KEYS], `${what} options`)
  const scope = openScope('detect', { overrides: { ...valid, mode: 'fail' }, what: `${what} options` })
  let value: unknown
  try {
    value = als.run(scope, fn as () => unknown)
  } catch (error) {
    scope.end()
    throw error
  }
  if (!isThenable(value)) return checked(scope.end())
  return Promise.resolve(value).then(
    () => checked(scope.end()),
    (error: unknown) => {
      scope.end()
      throw error
    },
  )
}

/** The findings of a failed assertion, numbered, each with its frames. */
export function listBlocking(blocking: readonly Finding[]): string {
  return blocking.map((f, i) => [`  ${i + 1}) ${describeFinding(f)}`, ...findingDetail(f, '       ')].join('\n')).join('\n')
}

function failure(blocking: readonly Finding[], site: { stack?: string }): AssertionError {
  const n = totalCalls(blocking)
  const message = `Expected fn not to block the event loop, but it made ${n} blocking call${n === 1 ? '' : 's'}:\n${listBlocking(blocking)}`
  const error = new AssertionError({ message, actual: blocking, expected: [], operator: 'assertNoBlocking' })
  // The findings carry the blocking lines; the stack points at the assertion, captured when it
  // was called (an async `fn` settles later, where the stack would show only promise machinery).
  const at = site.stack === undefined ? -1 : site.stack.indexOf('\n    at ')
  if (at >= 0) error.stack = `${error.name} [${error.code}]: ${message}${(site.stack as string).slice(at)}`
  // Runners would print a diff of two arrays of findings: the message says it better.
  return Object.assign(error, { showDiff: false })
}

/**
 * Asserts that `fn` does not block the event loop, in the style of `node:assert`: throws an
 * `AssertionError` listing each blocking call (operation, time, line, async alternative), whose
 * `actual` holds the findings. For an async `fn` it returns a promise to await.
 * @example assertNoBlocking(() => handler(req))
 * @example await assertNoBlocking(async () => { await server.inject('/users') }, { allow: ['fs.existsSync'] })
 */
export function assertNoBlocking(fn: () => PromiseLike<unknown>, options?: AssertOptions): Promise<void>
export function assertNoBlocking(fn: () => unknown, options?: AssertOptions): void
export function assertNoBlocking(fn: () => unknown, options?: AssertOptions): void | Promise<void> {
  const site: { stack?: string } = {}
  Error.captureStackTrace(site, assertNoBlocking)
  const check = checkBlocking(fn, options, 'assertNoBlocking()')
  const verdict = (c: BlockingCheck): void => {
    if (c.blocking.length > 0) throw failure(c.blocking, site)
  }
  if (check instanceof Promise) return check.then(verdict)
  verdict(check)
}
