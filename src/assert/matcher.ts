// `toBlockEventLoop` (docs/architecture.md, "assert"): the Jest and Vitest matcher.
import type { BlockingCheck } from '../accounting/scopes.js'
import type { AssertOptions } from '../model/options.js'
import { listBlocking } from '../report/messages.js'
import type { Check } from './assert.js'

/** The part of Jest's and Vitest's matcher context (`this` in `expect.extend`) the matcher uses. */
export interface MatcherContext {
  readonly isNot?: boolean
  readonly promise?: string
  readonly utils: {
    matcherHint(name: string, received?: string, expected?: string, options?: { isNot?: boolean; promise?: string }): string
    printReceived(value: unknown): string
  }
}

/** What a matcher returns to Jest and Vitest. */
export interface MatcherResult {
  readonly pass: boolean
  readonly message: () => string
}

/** The options a matcher call takes. */
export type MatcherOptions = AssertOptions

/** The matcher function `expect.extend` takes. */
export type BlockMatcher = (this: MatcherContext, received: unknown, options?: MatcherOptions) => MatcherResult | Promise<MatcherResult>

const NAME = 'toBlockEventLoop'

function verdict(ctx: MatcherContext, check: BlockingCheck): MatcherResult {
  const { findings, blocking } = check
  const pass = blocking.length > 0
  const hint = ctx.utils.matcherHint(NAME, 'fn', '', { isNot: ctx.isNot ?? false, ...(ctx.promise !== undefined && { promise: ctx.promise }) })
  return {
    pass,
    message: () =>
      pass
        ? `${hint}\n\nExpected fn not to block the event loop, but it did:\n${listBlocking(blocking)}`
        : `${hint}\n\nExpected fn to block the event loop, but it made no blocking call${findings.length > 0 ? ` (${findings.length} allowed finding${findings.length === 1 ? '' : 's'})` : ''}.`,
  }
}

/**
 * Makes `expect(fn).toBlockEventLoop(options?)` over a detector's `check`. `fn` runs in a scope of
 * its own: what it blocks on is the matcher's subject, never charged again to the enclosing test.
 * A sync `fn` gives a sync result; an async one a promise to await.
 */
export function createMatcher(check: Check): BlockMatcher {
  return function toBlockEventLoop(this: MatcherContext, received: unknown, options?: MatcherOptions): MatcherResult | Promise<MatcherResult> {
    if (typeof received !== 'function') {
      throw new TypeError(`${this.utils.matcherHint(NAME, 'fn', '')}\n\nExpected a function to call, got ${this.utils.printReceived(received)}: write expect(() => code()).${NAME}()`)
    }
    const checked = check(received, options, `${NAME}()`)
    return checked instanceof Promise ? checked.then((c) => verdict(this, c)) : verdict(this, checked)
  }
}
