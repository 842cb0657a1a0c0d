import { als } from './context.js'
import type { Finding } from './findings.js'
import { describeFinding, findingDetail } from './messages.js'
import type { ScopeOptions } from './options.js'
import { isThenable, openScope } from './scope.js'

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
export type MatcherOptions = Pick<ScopeOptions, 'stallMs' | 'allow' | 'traceDepth' | 'moduleLoading'>

const NAME = 'toBlockEventLoop'

function listFindings(findings: readonly Finding[]): string {
  return findings
    .map((f, i) => [`  ${i + 1}) ${describeFinding(f)}`, ...findingDetail(f, '       ')].join('\n'))
    .join('\n')
}

function verdict(ctx: MatcherContext, findings: readonly Finding[]): MatcherResult {
  const blocking = findings.filter((f) => !f.allowed)
  const pass = blocking.length > 0
  const hint = ctx.utils.matcherHint(NAME, 'fn', '', { isNot: ctx.isNot ?? false, ...(ctx.promise !== undefined && { promise: ctx.promise }) })
  return {
    pass,
    message: () =>
      pass
        ? `${hint}\n\nExpected fn not to block the event loop, but it did:\n${listFindings(blocking)}`
        : `${hint}\n\nExpected fn to block the event loop, but it made no blocking call${findings.length > 0 ? ` (${findings.length} allowed finding${findings.length === 1 ? '' : 's'})` : ''}.`,
  }
}

/**
 * `expect(fn).toBlockEventLoop(options?)` for Jest and Vitest. `fn` runs in a scope of its own:
 * what it blocks on is the matcher's subject, never charged again to the enclosing test. A sync
 * `fn` gives a sync result; an async one a promise to await. Recording always uses `fail` mode
 * (a configured `throw` or `off` would defeat the assertion).
 */
export function toBlockEventLoop(this: MatcherContext, received: unknown, options?: MatcherOptions): MatcherResult | Promise<MatcherResult> {
  if (typeof received !== 'function') {
    throw new TypeError(`${this.utils.matcherHint(NAME, 'fn', '')}\n\nExpected a function to call, got ${this.utils.printReceived(received)}: write expect(() => code()).${NAME}()`)
  }
  const scope = openScope('detect', { overrides: { ...validMatcherOptions(options), mode: 'fail' }, what: `${NAME}() options` })
  let value: unknown
  try {
    value = als.run(scope, received as () => unknown)
  } catch (error) {
    scope.end()
    throw error
  }
  if (!isThenable(value)) return verdict(this, scope.end())
  return Promise.resolve(value).then(
    () => verdict(this, scope.end()),
    (error: unknown) => {
      scope.end()
      throw error
    },
  )
}

function validMatcherOptions(options: unknown): ScopeOptions {
  if (options === undefined) return {}
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`Expected \`${NAME}\` options to be an object like { stallMs, allow, traceDepth }, got \`${String(options)}\``)
  }
  for (const key of Object.keys(options)) {
    if (!['stallMs', 'allow', 'traceDepth', 'moduleLoading'].includes(key)) {
      throw new TypeError(`Unknown option \`${key}\` in ${NAME}() options. Known options: stallMs, allow, traceDepth, moduleLoading`)
    }
  }
  return options as ScopeOptions
}
