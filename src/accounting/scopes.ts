// The scopes of one detector (docs/architecture.md, "scope"): the AsyncLocalStorage that carries
// the current scope into timers and promise continuations, and the ways to open one — a test's,
// `detect()`, `allowBlocking(fn)`, an assertion's.
import { AsyncLocalStorage } from 'node:async_hooks'
import { type Finding, type TestRef, isViolation } from '../model/finding.js'
import type { Mode } from '../model/mode.js'
import { ASSERT_OPTION_KEYS, DETECT_OPTION_KEYS, type DetectOptions, type ScopeOptions, validateOptions } from '../model/options.js'
import { isThenable } from '../runtime/functions.js'
import { Scope, type ScopeHome, type ScopeKind } from './scope.js'
import type { Configuration } from './settings.js'
import type { TallyTools } from './tally.js'
import { TestFiles } from './test-code.js'

/** What `detect()` found. */
export interface DetectResult<T> {
  /** Site-aggregated findings, allowed ones included (`allowed: true`). */
  readonly findings: readonly Finding[]
  /** The findings that are not allowed (calls not judged left out): what a test would fail on. */
  readonly blocking: readonly Finding[]
  /** What `fn` returned (awaited). */
  readonly value: T
}

/** What `fn` did, as an assertion sees it. */
export interface BlockingCheck {
  /** Every finding, allowed ones included. */
  readonly findings: readonly Finding[]
  /** The findings that are not allowed (calls not judged left out): what the assertion is about. */
  readonly blocking: readonly Finding[]
}

/** How to open a scope. */
export interface OpenOptions {
  /** The test it belongs to (default: the enclosing scope's). */
  readonly test?: TestRef
  /** Options of its own (a `detect()` call's, a matcher's, a Jest test file's). */
  readonly overrides?: ScopeOptions | undefined
  /** Who gave `overrides`, for option errors. */
  readonly what?: string
  /**
   * A test expected to fail (Vitest's `test.fails`, Jest's `test.failing`): failing it would make it
   * pass, so what would fail it (`fail`, `throw`) is said as `warn` mode says it (tsdown: four
   * `test.fails` tests that blocked passed with loopcop in `fail` and `throw` mode, failed without).
   */
  readonly expectedToFail?: boolean
}

/** What the rest of the detector does when scopes open and close (the stall monitor, the interceptors, `onFinding`). */
export interface ScopeHooks {
  /** Puts the interceptors in place if they are not (every scope needs them). */
  ensureInstalled(): void
  /** A scope opened (not an `allowBlocking(fn)` one). */
  opened(scope: Scope): void
  /** A scope is about to end. */
  closing(scope: Scope): void
  /** An `allowBlocking(fn)` stretch started. */
  allowStarted(scope: Scope): void
  /** An `allowBlocking(fn)` stretch ended. */
  allowEnded(scope: Scope): void
  /** Hands a finding to the user's `onFinding`. */
  notify(finding: Finding): void
}

function result<T>(findings: Finding[], value: T): DetectResult<T> {
  return { findings, blocking: findings.filter(isViolation), value }
}

function checked(findings: Finding[]): BlockingCheck {
  return { findings, blocking: findings.filter(isViolation) }
}

/** The scopes of one detector. */
export class Scopes implements ScopeHome {
  /**
   * The scope of the code running now: a test, a `detect()` call, an `allowBlocking(fn)`.
   * Timers and promise continuations inherit it, so work a test starts is charged to that test.
   */
  readonly als = new AsyncLocalStorage<Scope | undefined>()
  /** Leaks no live scope or integration took (kept for the run report; aggregated by scope and call site). */
  readonly orphanLeaks: Finding[] = []
  /** The run's test files as far as this process knows them (integrations register them). */
  readonly testFiles = new TestFiles()
  readonly #config: Configuration
  readonly #hooks: ScopeHooks
  /** How many test scopes are open now (see `stray`). */
  #openTests = 0
  /** The test scope open now when exactly one is, and none other was while it has been. */
  #onlyTest: Scope | undefined
  /** `outside` calls running now: loopcop's own work, and the runner's at its bidding, is no test's. */
  #outside = 0

  constructor(
    readonly tools: TallyTools,
    config: Configuration,
    hooks: ScopeHooks,
  ) {
    this.#config = config
    this.#hooks = hooks
  }

  /** Hands a finding to the user's `onFinding`. */
  notify(finding: Finding): void {
    this.#hooks.notify(finding)
  }

  /** Keeps a leak no one took. */
  orphan(finding: Finding): void {
    this.orphanLeaks.push(finding)
  }

  /** The scope of the code running now, if any. */
  current(): Scope | undefined {
    return this.als.getStore()
  }

  /**
   * The scope a blocking call made with no scope at all is charged to: the test open in this thread
   * when exactly one is (a serial runner's), and not while `outside` runs. Node gives some code no
   * async context of the test that made it run: a server made in a `before`/`beforeAll` hook (or
   * at a module's top level) answers a test's request in the hook's context, which is no test's;
   * an upgraded socket's data (a WebSocket server's messages) comes in the context of no one; on
   * Node 20 and 22 an HTTP server's `upgrade` handler too. Those calls block the test that is
   * running as any other does, and were silently never seen. A test open at one time with another
   * (concurrent tests, a node:test subtest in its parent) gets none, for its whole run: whose they
   * are cannot be told, and a test's verdict must not depend on which of them ended first.
   */
  get stray(): Scope | undefined {
    return this.#outside === 0 ? this.#onlyTest : undefined
  }

  /** Opens a scope under the current one. */
  open(kind: ScopeKind, options?: OpenOptions): Scope {
    this.#hooks.ensureInstalled()
    const parent = this.als.getStore()
    const configured = this.#config.settingsFor(options?.overrides, options?.what)
    const settings = options?.expectedToFail === true ? { ...configured, mode: warnInstead(configured.mode), stallMode: warnInstead(configured.stallMode) } : configured
    const scope = new Scope(this, kind, settings, parent, options?.test ?? parent?.test)
    if (kind !== 'allow') this.#hooks.opened(scope)
    // A test opened while another is open: neither is the only one ever again (see `stray`).
    if (kind === 'test') this.#onlyTest = this.#openTests++ === 0 ? scope : undefined
    return scope
  }

  /** Ends a scope: its findings, site-aggregated (`onFinding` hears each one). */
  close(scope: Scope): Finding[] {
    // Whatever test is still open was open together with this one: no test is the only one now.
    if (scope.kind === 'test' && !scope.ended) {
      this.#openTests--
      this.#onlyTest = undefined
    }
    this.#hooks.closing(scope)
    return scope.end()
  }

  /** Runs `fn` inside `scope`. */
  run<T>(scope: Scope, fn: () => T): T {
    return this.als.run(scope, fn)
  }

  /**
   * Runs `fn` with no scope at all: nothing it does, nor what it starts, is charged to anyone.
   * Not `als.exit(fn)`: on Node 20 and 22 (AsyncLocalStorage on async hooks) `exit` turns the
   * promise hooks off while `fn` runs, so a promise made then is not tracked, and its reactions
   * later run in the store of the callback around them. A Mocha hook returning a promise, called
   * from a `done` loopcop calls outside the test's scope, had Mocha's continuation (the suite's
   * `after` hook) charged to that test as a leak. `run(undefined)` gives what `fn` starts no
   * store; on Node 24 and later `exit` is just that.
   */
  outside<T>(fn: () => T): T {
    // Already outside every scope (a runner's hooks, most of loopcop's own work) with no test that
    // strays could go to: nothing to leave, nothing to hold off (most calls, at a test's start and end).
    const inScope = this.als.getStore() !== undefined
    if (!inScope && this.#onlyTest === undefined) return fn()
    this.#outside++
    try {
      return inScope ? this.als.run(undefined, fn) : fn()
    } finally {
      this.#outside--
    }
  }

  /**
   * Allows blocking. Without an argument: for the rest of the current test (or `detect()` call).
   * With a function: only while it runs (sync or async), returning its result.
   */
  allowBlocking<T>(fn?: () => T): T | undefined {
    if (fn === undefined) {
      this.als.getStore()?.allowRest()
      return undefined
    }
    if (typeof fn !== 'function') throw new TypeError(`Expected \`allowBlocking\` to get a function or nothing, got \`${String(fn)}\` (${typeof fn})`)
    const parent = this.als.getStore()
    // Under `mode: 'off'` (quiet, but stalls still watched) fn still gets its allow scope, for stalls.
    if (parent === undefined || parent.allowsAll) return fn()
    const scope = new Scope(this, 'allow', parent.settings, parent, parent.test)
    // Tell stall detection an allowed stretch is open: without a stack to attribute a stall, it
    // then charges no one rather than the enclosing test.
    this.#hooks.allowStarted(scope)
    const done = (): void => {
      this.#hooks.allowEnded(scope)
      // An allow scope has no end() (it reports nothing); marking it ended routes later leaks past it.
      scope.ended = true
    }
    let value: T
    try {
      value = this.als.run(scope, fn)
    } catch (error) {
      done()
      throw error
    }
    if (!isThenable(value)) {
      done()
      return value
    }
    value.then(done, done)
    return value
  }

  /**
   * Runs `fn` (sync or async) in a scope of its own and resolves to what it blocked on, including
   * calls from timers and promise continuations it started before it settled. Never prints, never
   * throws because of a finding (only `mode: 'throw'` raises, at the blocking call); an error `fn`
   * throws is passed through.
   */
  async detect<T>(fn: () => T | PromiseLike<T>, options?: DetectOptions): Promise<DetectResult<Awaited<T>>> {
    if (typeof fn !== 'function') throw new TypeError(`Expected \`detect\` to get a function, got \`${String(fn)}\` (${typeof fn})`)
    const scope = this.open('detect', { overrides: validateOptions(options, DETECT_OPTION_KEYS, 'detect() options'), what: 'detect() options' })
    try {
      const value = await this.als.run(scope, fn)
      return result(this.close(scope), value)
    } catch (error) {
      if (!scope.ended) this.close(scope)
      throw error
    }
  }

  /**
   * `detect()` for synchronous code: returns at once. Throws a `TypeError` if `fn` returns a
   * promise (use `detect()`, which waits for it).
   */
  detectSync<T>(fn: () => T, options?: DetectOptions): DetectResult<T> {
    if (typeof fn !== 'function') throw new TypeError(`Expected \`detectSync\` to get a function, got \`${String(fn)}\` (${typeof fn})`)
    const scope = this.open('detect', { overrides: validateOptions(options, DETECT_OPTION_KEYS, 'detectSync() options'), what: 'detectSync() options' })
    let value: T
    try {
      value = this.als.run(scope, fn)
    } catch (error) {
      this.close(scope)
      throw error
    }
    const findings = this.close(scope)
    if (isThenable(value)) throw new TypeError('`detectSync(fn)` got a promise from `fn`: use `await detect(fn)` for async code')
    return result(findings, value)
  }

  /**
   * Runs `fn` in a scope of its own for an assertion (`assertNoBlocking`, the matchers, the Chai
   * plugin): a sync `fn` gives its check at once, an async one a promise. What `fn` blocks on is
   * the assertion's subject, never charged again to the enclosing test. Recording always uses
   * `fail` mode (a configured `throw` or `off` would defeat the assertion). `what` names the caller
   * in option errors.
   */
  check(fn: unknown, options: unknown, what: string): BlockingCheck | Promise<BlockingCheck> {
    if (typeof fn !== 'function') throw new TypeError(`Expected ${what} to get a function to call, got \`${String(fn)}\` (${typeof fn})`)
    const valid = validateOptions(options, ASSERT_OPTION_KEYS, `${what} options`)
    const scope = this.open('detect', { overrides: { ...valid, mode: 'fail' }, what: `${what} options` })
    let value: unknown
    try {
      value = this.als.run(scope, fn as () => unknown)
    } catch (error) {
      this.close(scope)
      throw error
    }
    if (!isThenable(value)) return checked(this.#closeAssertion(scope))
    return Promise.resolve(value).then(
      () => checked(this.#closeAssertion(scope)),
      (error: unknown) => {
        this.close(scope)
        throw error
      },
    )
  }

  /**
   * Ends an assertion's scope: its findings, and a copy of each marked `scope: 'assertion'` kept by
   * the test it ran in, for the run report.
   */
  #closeAssertion(scope: Scope): Finding[] {
    const findings = this.close(scope)
    let test = scope.parent
    while (test !== undefined && test.kind !== 'test') test = test.parent
    if (test !== undefined && !test.ended) for (const f of findings) test.asserted.push({ ...f, scope: 'assertion' })
    return findings
  }
}

/** `warn` for a mode that fails tests (`fail`, `throw`); `warn` and `off` as they are. */
function warnInstead(mode: Mode): Mode {
  return mode === 'fail' || mode === 'throw' ? 'warn' : mode
}
