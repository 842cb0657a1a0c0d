// Per scope and operation, every call counted and timed (docs/architecture.md, "data flow of one blocking call"): the
// first calls keep their stacks and are judged when the scope ends; the findings aggregate by site.
import { type Frame, STACKS_PER_OPERATION, type SyncIoFinding } from '../model/finding.js'
import type { Operation } from '../model/operation.js'
import { UNJUDGED, type Verdict, isBuiltinAllowance } from '../model/verdict.js'
import type { RawStack, Stacks } from '../stack/capture.js'
import { siteKey } from '../stack/frames.js'
import type { CompiledRule } from './allow.js'
import { type FindingContext, type FindingIds, offendingPackage, syncFinding } from './findings.js'
import type { Judge } from './verdicts.js'

/** One call that kept its stack, judged when its scope ends (or at once in `throw` mode and for leaks). */
export interface KeptCall {
  readonly raw: RawStack
  readonly ms: number
  readonly arg: string | undefined
  readonly leak: boolean
  readonly raised: boolean
  /** Its verdict, once its tally judged it (the tally writes it; a judge never does). */
  verdict?: Verdict
  /** Its frames, once read. */
  frames?: Frame[]
}

/** Allowed calls of one rule, counted and timed without their stacks. */
interface AllowedCount {
  readonly verdict: Verdict & { readonly kind: 'allowed' }
  calls: number
  ms: number
  maxMs: number
  /** What the first call was given, where the rule had it (a rule that needs no stack: `path`, `command`). */
  readonly arg: string | undefined
  /** Other arguments than the first's, told apart among the first calls (as for kept calls). */
  others: Set<string | undefined> | undefined
}

/** Kept calls from one site, made by one package (or the user's code), with one verdict: one finding. */
interface Group {
  readonly first: KeptCall
  readonly frames: readonly Frame[]
  readonly verdict: Verdict
  readonly leak: boolean
  readonly raised: boolean
  /** The package that made the calls (`Offender.package`): two packages called from one line are two findings, and two baseline entries. */
  readonly pkg: string | undefined
  calls: number
  ms: number
  maxMs: number
  /** The arguments other calls than the first were given, when any differed from the first's. */
  others: Set<string | undefined> | undefined
}

/** Whether two verdicts are the same: the same kind, and for allowances the same rule (as reported). */
function sameVerdict(a: Verdict, b: Verdict): boolean {
  return a === b || (a.kind === b.kind && (a.kind !== 'allowed' || (b.kind === 'allowed' && a.rule === b.rule)))
}

/** The group of a site's groups a kept call with this verdict joins, if one is there (a loop: no closure per kept call). */
function groupOf(groups: readonly Group[], k: KeptCall, verdict: Verdict, pkg: string | undefined): Group | undefined {
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as Group
    if (g.leak === k.leak && g.raised === k.raised && g.pkg === pkg && sameVerdict(g.verdict, verdict)) return g
  }
  return undefined
}

/** What a tally needs to judge its calls and build its findings. */
export interface TallyTools {
  readonly stacks: Stacks
  readonly judge: Judge
  readonly ids: FindingIds
}

/** Per scope and operation: every call counted and timed, the first ones with a stack. */
export class OperationTally {
  calls = 0
  ms = 0
  maxMs = 0
  /** The calls that kept their stack (at most `STACKS_PER_OPERATION` while every call is allowed, then the violations). */
  readonly kept: KeptCall[] = []
  unstackedCalls = 0
  unstackedMs = 0
  unstackedMaxMs = 0
  /** Some call of this operation in this scope is not allowed (so the verdict is settled). */
  violation = false
  /** Calls allowed by a rule that needed no stack or by a judged stack, by rule. */
  readonly #allowed = new Map<string, AllowedCount>()

  constructor(
    readonly operation: Operation,
    readonly tools: TallyTools,
  ) {}

  /**
   * Counts a call an allow rule allowed (its stack, if any, is not kept). `arg`: its argument
   * summary, where it was worked out for the rule (one that needs no stack), so the report shows
   * what such a rule let through.
   */
  countAllowed(verdict: Verdict & { readonly kind: 'allowed' }, ms: number, arg?: string): void {
    const a = this.#allowed.get(verdict.rule)
    if (a === undefined) this.#allowed.set(verdict.rule, { verdict, calls: 1, ms, maxMs: ms, arg, others: undefined })
    else {
      if (arg !== a.arg && a.calls < STACKS_PER_OPERATION) (a.others ??= new Set()).add(arg)
      a.calls++
      a.ms += ms
      if (ms > a.maxMs) a.maxMs = ms
    }
  }

  /** Counts and times a call that kept no stack of its own (see `STACKS_PER_OPERATION`). */
  countUnstacked(ms: number): void {
    this.unstackedCalls++
    this.unstackedMs += ms
    if (ms > this.unstackedMaxMs) this.unstackedMaxMs = ms
  }

  /** Keeps a call with its stack. */
  keep(call: KeptCall): void {
    this.kept.push(call)
  }

  /**
   * Judges every kept call not judged yet; true when one of them is a violation. Calls a built-in
   * rule allowed (a module load, with the test's frame far below the loader's) are never reported:
   * they are counted under their allowance and let go, so that their places go to calls a finding
   * may show (a test that loaded 110 modules, then read a file itself, kept no place for its read).
   */
  judgeKept(rules: readonly CompiledRule[]): boolean {
    let violation = false
    let n = 0
    for (const k of this.kept) {
      const verdict = this.verdict(k, rules)
      if (verdict.kind === 'violation') violation = true
      else if (verdict.kind === 'allowed' && verdict.builtin && !k.leak && !k.raised) {
        this.countAllowed(verdict, k.ms)
        continue
      }
      this.kept[n++] = k
    }
    this.kept.length = n
    return violation
  }

  /** The verdict on a call (judged once), kept or not. */
  verdict(call: KeptCall, rules: readonly CompiledRule[]): Verdict {
    call.verdict ??= this.tools.judge.judge(call, this.operation, rules)
    return call.verdict
  }

  /**
   * The frames a finding of this call shows (see `Stacks.reported`): all its frames if something
   * read them already, else only those a finding reports, source-mapped.
   */
  shown(call: KeptCall, depth: number): readonly Frame[] {
    return call.frames ?? this.tools.stacks.reported(call.raw, depth)
  }

  /** The site-aggregated findings of this tally. Calls built-in rules allowed are dropped. */
  findings(rules: readonly CompiledRule[], ctx: FindingContext): SyncIoFinding[] {
    const op = this.operation
    const ids = this.tools.ids
    // By site, then by verdict, kind and the package that made the call: the site key is one string a
    // frame (memoized), a verdict one object a rule, the package one per frames array (memoized), so
    // grouping makes no string and no array per kept call.
    const bySite = new Map<string, Group[]>()
    const order: Group[] = []
    for (let i = 0; i < this.kept.length; i++) {
      const k = this.kept[i] as KeptCall
      const verdict = this.verdict(k, rules)
      if (isBuiltinAllowance(verdict)) continue
      const frames = this.shown(k, ctx.settings.traceDepth)
      const site = siteKey(frames)
      let groups = bySite.get(site)
      if (groups === undefined) bySite.set(site, (groups = []))
      const pkg = offendingPackage(frames, ctx.settings.traceDepth)
      const g = groupOf(groups, k, verdict, pkg)
      if (g === undefined) {
        const added: Group = { first: k, frames, verdict, leak: k.leak, raised: k.raised, pkg, calls: 1, ms: k.ms, maxMs: k.ms, others: undefined }
        groups.push(added)
        order.push(added)
      } else {
        g.calls++
        g.ms += k.ms
        if (k.ms > g.maxMs) g.maxMs = k.ms
        if (k.arg !== g.first.arg) (g.others ??= new Set()).add(k.arg)
      }
    }
    const out: SyncIoFinding[] = []
    for (const g of order) {
      const cut = this.tools.stacks.cutBelowSearch(g.first.raw, ctx.settings.captureDepth)
      out.push(syncFinding(ids.next(), op, { calls: g.calls, ms: g.ms, maxMs: g.maxMs, frames: g.frames, arg: g.first.arg, otherArgs: g.others?.size ?? 0, verdict: g.verdict, leak: g.leak, raised: g.raised, unstacked: false, cut }, ctx))
    }
    if (this.unstackedCalls > 0) {
      out.push(syncFinding(ids.next(), op, { calls: this.unstackedCalls, ms: this.unstackedMs, maxMs: this.unstackedMaxMs, frames: [], arg: undefined, otherArgs: 0, verdict: UNJUDGED, leak: false, raised: false, unstacked: true, cut: false }, ctx))
    }
    for (const a of this.#allowed.values()) {
      if (a.verdict.builtin) continue
      out.push(syncFinding(ids.next(), op, { calls: a.calls, ms: a.ms, maxMs: a.maxMs, frames: [], arg: a.arg, otherArgs: a.others?.size ?? 0, verdict: a.verdict, leak: false, raised: false, unstacked: true, cut: false }, ctx))
    }
    return out
  }
}
