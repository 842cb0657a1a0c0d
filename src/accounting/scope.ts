// A scope (docs/architecture.md, "scope"): a stretch of work whose blocking calls are counted
// together — a test, a `detect()` call, an `allowBlocking(fn)` — and where its late calls go.
import type { Finding, SyncIoFinding, TestRef } from '../model/finding.js'
import type { Operation } from '../model/operation.js'
import type { CompiledRule } from './allow.js'
import { OperationTally, type TallyTools } from './tally.js'
import type { Settings } from './settings.js'
import type { TestFiles } from './test-code.js'

/** What a scope stands for. */
export type ScopeKind = 'test' | 'detect' | 'allow'

/** Who took a leaked finding: a live scope (reports it when it ends), the orphans, or an integration's `onLeak`. */
export type LeakHolder = Scope | 'orphans' | 'integration'

/** What a scope reaches of the detector it belongs to. */
export interface ScopeHome {
  readonly tools: TallyTools
  /** The test files of the run (for the "test code" rule). */
  readonly testFiles: TestFiles
  /** Hands a finding to the user's `onFinding`. */
  notify(finding: Finding): void
  /** Keeps a leak no live scope or integration took, for the run report. */
  orphan(finding: Finding): void
}

type LeakCount = { -readonly [K in 'calls' | 'durationMs' | 'maxMs']: SyncIoFinding[K] }

/** A stretch of work whose blocking calls are counted together: a test, a `detect()` call, an `allowBlocking(fn)`. */
export class Scope {
  /** The blocking calls of this scope by operation; emptied when it ends (its findings hold what is reported). */
  readonly tallies = new Map<Operation, OperationTally>()
  /** Findings added whole: leaks of ended child scopes, stalls. */
  readonly extra: Finding[] = []
  /**
   * Findings of assertions made in this test (`scope: 'assertion'`), for the run report: their
   * assertions judged them, so they never fail the test on loopcop's account, and `onFinding` heard
   * them when the assertion ended.
   */
  readonly asserted: Finding[] = []
  /** Errors inside loopcop's own bookkeeping, surfaced at the end of the scope. */
  readonly internalErrors: unknown[] = []
  /**
   * The refusals `mode: 'throw'` raised here, by their error's message: what a runner that gives a
   * test's errors as serialized copies (Vitest's, without their findings) still shows of each.
   */
  refusals: Map<string, Finding> | undefined
  /** Skip blocking calls: the mode is `off`. */
  quiet: boolean
  /**
   * Everything is allowed, stalls included: an `allowBlocking(fn)` scope, or `allowBlocking()` was
   * called. Not set by `mode: 'off'`, which is about blocking calls: stalls follow `stallMode`.
   */
  allowsAll: boolean
  ended = false
  /**
   * The rules its calls are judged by: the settings' rules, and in a test's scope (not in an
   * explicit `detect()`, matcher or `assertNoBlocking` scope) the "test code" rule when
   * `testCode: 'allow'`.
   */
  readonly rules: readonly CompiledRule[]
  /** Where findings that happen after this scope ended go (set by the test lifecycle). */
  onLeak: ((finding: Finding) => void) | undefined
  /** Leaks of this ended scope still counting, by call site (see `leakCall`). */
  #openLeaks: Map<string, { readonly finding: LeakCount; readonly holder: LeakHolder }> | undefined
  readonly #home: ScopeHome
  /** Its test's file, absolute. */
  readonly #testFile: string | undefined

  constructor(
    home: ScopeHome,
    readonly kind: ScopeKind,
    readonly settings: Settings,
    readonly parent: Scope | undefined,
    readonly test: TestRef | undefined,
  ) {
    this.#home = home
    this.#testFile = test?.file === undefined ? undefined : home.testFiles.absolute(test.file)
    this.rules = kind === 'test' ? home.testFiles.rulesFor(settings, test?.file) : settings.rules
    this.allowsAll = kind === 'allow'
    this.quiet = settings.mode === 'off'
  }

  /** The tally of one operation in this scope. */
  tally(op: Operation): OperationTally {
    let t = this.tallies.get(op)
    if (t === undefined) {
      t = new OperationTally(op, this.#home.tools)
      this.tallies.set(op, t)
    }
    return t
  }

  /** Whether a file is one of the run's test files (this scope's test's own file included). */
  isTestFile(file: string): boolean {
    return this.#home.testFiles.has(file, this.#testFile)
  }

  /** Allows every blocking call for the rest of this scope. */
  allowRest(): void {
    this.allowsAll = true
  }

  /**
   * Where the calls an `allowBlocking` allows are counted: this scope, or for an `allowBlocking(fn)`
   * the scope around it; `undefined` once that has ended (nothing reports them any more).
   */
  allowedCallsGoTo(): Scope | undefined {
    const owner = this.owner()
    return owner === undefined || owner.ended ? undefined : owner
  }

  /** The test or `detect()` scope this one is, or for an `allowBlocking(fn)` the one it runs in. */
  owner(): Scope | undefined {
    if (this.kind !== 'allow') return this
    let s = this.parent
    while (s !== undefined && s.kind === 'allow') s = s.parent
    return s
  }

  /** Ends the scope and returns its findings, site-aggregated; `onFinding` hears each one. */
  end(): Finding[] {
    if (this.ended) throw new Error('loopcop: a scope was ended twice (this is a bug in loopcop or in a runner integration)')
    this.ended = true
    const findings: Finding[] = []
    for (const tally of this.tallies.values()) findings.push(...tally.findings(this.rules, this))
    // The findings hold all that is reported: the kept calls (each with V8's captured stack and,
    // once read, its call sites: ~3 KB) are let go now, not when the scope is collected. Kept with
    // it, they outlived the young generation's collections into the old one — in Mocha's benchmark
    // suite the call sites of nearly every kept call, ~3.6 MB a run — to be marked and compacted there.
    this.tallies.clear()
    findings.push(...this.extra)
    for (const f of findings) this.#home.notify(f)
    findings.push(...this.asserted)
    return findings
  }

  /**
   * Routes a finding that happened after this scope ended: to the integration, else to the nearest
   * live parent, else to the orphans. `onFinding` hears it now, unless a live parent took it: that
   * parent's `end()` notifies its findings (notifying here too would report the leak twice).
   */
  leak(finding: Finding): LeakHolder {
    const integration = (onLeak: (finding: Finding) => void): LeakHolder => {
      this.#home.notify(finding)
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
    this.#home.notify(finding)
    this.#home.orphan(finding)
    return 'orphans'
  }

  /**
   * A blocking call made after this scope ended, `key` naming its operation, verdict and call site.
   * Leaks aggregate by call site like the calls of a live scope, so memory stays bounded (a leaked
   * interval making a million calls is one finding of a million calls, not a million findings): a
   * call adds to the finding already delivered for its site while the holder has not reported it
   * yet (a live parent scope, or the orphans). An integration's `onLeak` may report a finding as
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
