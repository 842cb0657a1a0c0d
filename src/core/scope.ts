import { als } from './context.js'
import { type Settings, settingsFor } from './config.js'
import { type Finding, OperationTally, type SyncIoFinding, type TestRef, tallyFindings } from './findings.js'
import type { ScopeOptions } from './options.js'
import type { Operation } from './operations.js'
import { ensureInstalled } from './intercept.js'
import { notifyFinding } from './notify.js'
import { enterAllowed, leaveAllowed, unwatchScope, watchScope } from './stall.js'

/** What a scope stands for. */
export type ScopeKind = 'test' | 'detect' | 'allow'

/** Who took a leaked finding: a live scope (reports it when it ends), `orphanLeaks`, or an integration's `onLeak`. */
export type LeakHolder = Scope | 'orphans' | 'integration'

type LeakCount = { -readonly [K in 'calls' | 'durationMs' | 'maxMs']: SyncIoFinding[K] }

/** A stretch of work whose blocking calls are counted together: a test, a `detect()` call, an `allowBlocking(fn)`. */
export class Scope {
  readonly tallies = new Map<Operation, OperationTally>()
  /** Findings added whole: leaks of ended child scopes, stalls. */
  readonly extra: Finding[] = []
  /** Errors inside loopcop's own bookkeeping, surfaced at the end of the scope. */
  readonly internalErrors: unknown[] = []
  /** Skip blocking calls: `allowBlocking()` was called, or the mode is `off`. */
  quiet: boolean
  /**
   * Everything is allowed, stalls included: an `allowBlocking(fn)` scope, or `allowBlocking()` was
   * called. Not set by `mode: 'off'`, which is about blocking calls: stalls follow `stallMode`.
   */
  allowsAll: boolean
  ended = false
  /** Where findings that happen after this scope ended go (set by runner integrations). */
  onLeak: ((finding: Finding) => void) | undefined
  /** Leaks of this ended scope still counting, by call site (see `leakCall`). */
  #openLeaks: Map<string, { readonly finding: LeakCount; readonly holder: LeakHolder }> | undefined

  constructor(
    readonly kind: ScopeKind,
    readonly settings: Settings,
    readonly parent: Scope | undefined,
    readonly test: TestRef | undefined,
  ) {
    this.allowsAll = kind === 'allow'
    this.quiet = this.allowsAll || settings.mode === 'off'
  }

  /** The tally of one operation in this scope. */
  tally(op: Operation): OperationTally {
    let t = this.tallies.get(op)
    if (t === undefined) {
      t = new OperationTally(op)
      this.tallies.set(op, t)
    }
    return t
  }

  /** Allows every blocking call for the rest of this scope. */
  allowRest(): void {
    this.quiet = true
    this.allowsAll = true
  }

  /** Ends the scope and returns its findings, site-aggregated; `onFinding` hears each one. */
  end(): Finding[] {
    if (this.ended) throw new Error('loopcop: a scope was ended twice (this is a bug in loopcop or in a runner integration)')
    unwatchScope(this)
    this.ended = true
    const findings: Finding[] = []
    for (const tally of this.tallies.values()) findings.push(...tallyFindings(tally, this.settings.rules, this))
    findings.push(...this.extra)
    for (const f of findings) notifyFinding(f)
    return findings
  }

  /**
   * Routes a finding that happened after this scope ended: to the integration, else to the nearest
   * live parent, else to `orphanLeaks`. `onFinding` hears it now, unless a live parent took it: that
   * parent's `end()` notifies its findings (notifying here too would report the leak twice).
   */
  leak(finding: Finding): LeakHolder {
    const integration = (onLeak: (finding: Finding) => void): LeakHolder => {
      notifyFinding(finding)
      onLeak(finding)
      return 'integration'
    }
    if (this.onLeak !== undefined) return integration(this.onLeak)
    for (let p = this.parent; p !== undefined; p = p.parent) {
      // An `allowBlocking(fn)` scope reports nothing: while `fn` runs, what leaks into it is
      // allowed; once `fn` has settled, the leak goes on up to the scope around it.
      if (p.kind === 'allow') {
        if (!p.ended) {
          p.extra.push(finding)
          return p
        }
        continue
      }
      if (!p.ended) {
        p.extra.push(finding)
        return p
      }
      if (p.onLeak !== undefined) return integration(p.onLeak)
    }
    notifyFinding(finding)
    orphanLeaks.push(finding)
    return 'orphans'
  }

  /**
   * A blocking call made after this scope ended, `key` naming its operation, verdict and call site.
   * Leaks aggregate by call site like the calls of a live scope, so memory stays bounded (a leaked
   * interval making a million calls is one finding of a million calls, not a million findings): a
   * call adds to the finding already delivered for its site while the holder has not reported it
   * yet (a live parent scope, or `orphanLeaks`). An integration's `onLeak` may report a finding as
   * soon as it gets it, so there each call is delivered as a finding of its own.
   */
  leakCall(key: string, ms: number, make: () => SyncIoFinding): void {
    const open = this.#openLeaks?.get(key)
    if (open !== undefined && (open.holder === 'orphans' || (open.holder !== 'integration' && !open.holder.ended))) {
      open.finding.calls++
      open.finding.durationMs += ms
      if (ms > open.finding.maxMs) open.finding.maxMs = ms
      return
    }
    const finding = make()
    const holder = this.leak(finding)
    if (holder !== 'integration') (this.#openLeaks ??= new Map()).set(key, { finding: finding as LeakCount, holder })
  }
}

/** Leaks no live scope or integration took (kept for the run report; aggregated by scope and call site). */
export const orphanLeaks: Finding[] = []

/** The scope of the code running now, if any. */
export function currentScope(): Scope | undefined {
  return als.getStore()
}

/** Opens a scope under the current one. Runner integrations open one per test. */
export function openScope(kind: ScopeKind, options?: { readonly test?: TestRef; readonly overrides?: ScopeOptions; readonly what?: string }): Scope {
  ensureInstalled()
  const parent = als.getStore()
  const settings = settingsFor(options?.overrides, options?.what)
  const scope = new Scope(kind, settings, parent, options?.test ?? parent?.test)
  if (kind !== 'allow') watchScope(scope)
  return scope
}

/** Runs `fn` inside `scope`. */
export function runInScope<T>(scope: Scope, fn: () => T): T {
  return als.run(scope, fn)
}

/** Runs `fn` with no scope at all: nothing it does is charged to anyone. */
export function outsideScopes<T>(fn: () => T): T {
  return als.exit(fn)
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

/**
 * Allows blocking. Without an argument: for the rest of the current test (or `detect()` call).
 * With a function: only while it runs (sync or async), returning its result.
 * @example allowBlocking()
 * @example const cfg = allowBlocking(() => fs.readFileSync('fixture.json', 'utf8'))
 */
export function allowBlocking(): void
export function allowBlocking<T>(fn: () => T): T
export function allowBlocking<T>(fn?: () => T): T | void {
  if (fn === undefined) {
    als.getStore()?.allowRest()
    return
  }
  if (typeof fn !== 'function') throw new TypeError(`Expected \`allowBlocking\` to get a function or nothing, got \`${String(fn)}\` (${typeof fn})`)
  const parent = als.getStore()
  // Under `mode: 'off'` (quiet, but stalls still watched) fn still gets its allow scope, for stalls.
  if (parent === undefined || parent.allowsAll) return fn()
  const scope = new Scope('allow', parent.settings, parent, parent.test)
  // Tell stall detection an allowed stretch is open: without a stack to attribute a stall, it
  // then charges no one rather than the enclosing test.
  enterAllowed(scope)
  let value: T
  try {
    value = als.run(scope, fn)
  } catch (error) {
    leaveAllowed(scope)
    throw error
  }
  if (!isThenable(value)) {
    leaveAllowed(scope)
    return value
  }
  const done = () => leaveAllowed(scope)
  ;(value as PromiseLike<unknown>).then(done, done)
  return value
}

/** What `detect()` found. */
export interface DetectResult<T> {
  /** Site-aggregated findings, allowed ones included (`allowed: true`). */
  readonly findings: readonly Finding[]
  /** The findings that are not allowed: what a test would fail on. */
  readonly blocking: readonly Finding[]
  /** What `fn` returned (awaited). */
  readonly value: T
}

function result<T>(findings: Finding[], value: T): DetectResult<T> {
  return { findings, blocking: findings.filter((f) => !f.allowed), value }
}

/**
 * Runs `fn` (sync or async) in a scope of its own and resolves to what it blocked on, including
 * calls from timers and promise continuations it started before it settled. Never prints, never
 * throws because of a finding (only `mode: 'throw'` raises, at the blocking call); an error `fn`
 * throws is passed through.
 * @example const { blocking } = await detect(() => handler(req))
 */
export async function detect<T>(fn: () => T | PromiseLike<T>, options?: ScopeOptions): Promise<DetectResult<Awaited<T>>> {
  if (typeof fn !== 'function') throw new TypeError(`Expected \`detect\` to get a function, got \`${String(fn)}\` (${typeof fn})`)
  const scope = openScope('detect', { overrides: options, what: 'detect() options' })
  try {
    const value = (await als.run(scope, fn)) as Awaited<T>
    return result(scope.end(), value)
  } catch (error) {
    if (!scope.ended) scope.end()
    throw error
  }
}

/**
 * `detect()` for synchronous code: returns at once. Throws a `TypeError` if `fn` returns a
 * promise (use `detect()`, which waits for it).
 */
export function detectSync<T>(fn: () => T, options?: ScopeOptions): DetectResult<T> {
  if (typeof fn !== 'function') throw new TypeError(`Expected \`detectSync\` to get a function, got \`${String(fn)}\` (${typeof fn})`)
  const scope = openScope('detect', { overrides: options, what: 'detectSync() options' })
  let value: T
  try {
    value = als.run(scope, fn)
  } catch (error) {
    scope.end()
    throw error
  }
  const findings = scope.end()
  if (isThenable(value)) throw new TypeError('`detectSync(fn)` got a promise from `fn`: use `await detect(fn)` for async code')
  return result(findings, value)
}


export { isThenable }
