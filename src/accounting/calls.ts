// The per-call path (docs/architecture.md, "data flow of one blocking call"): what happens between
// the wrapper and the tally, kept short — the budget is a few µs per call, most of it the capture.
import type { Finding, Frame } from '../model/finding.js'
import { STACKS_PER_OPERATION } from '../model/finding.js'
import { DEEPEST_SEARCH } from '../model/options.js'
import type { Operation } from '../model/operation.js'
import { type Verdict, isBuiltinAllowance } from '../model/verdict.js'
import { now } from '../runtime/clock.js'
import { raiseStackTraceLimit, restoreStackTraceLimit } from '../runtime/stack-limit.js'
import { type Guard, IN_CALL } from '../runtime/guard.js'
import type { RawStack, Stacks } from '../stack/capture.js'
import { siteKey } from '../stack/frames.js'
import { builtinsDecideFirst, findAllowingRule, isSettledBuiltinAllowance } from './allow.js'
import { summarizeArgs } from './args.js'
import { type FindingIds, syncFinding } from './findings.js'
import type { Scope } from './scope.js'
import type { Settings } from './settings.js'
import type { KeptCall, OperationTally } from './tally.js'

/** Marks an argument summary not worked out yet (`undefined` is a summary: nothing to show). */
const UNSUMMARIZED = Symbol('unsummarized')

/** What the per-call path needs of its detector. */
export interface CallTools {
  readonly guard: Guard
  readonly stacks: Stacks
  readonly ids: FindingIds
  /** The error `mode: 'throw'` raises at the call. */
  blockingError(findings: readonly Finding[], title: string | undefined): Error
  /** Reports loopcop's own failure (never thrown into the caller). */
  internalError(error: unknown): void
  /** Whether the configured baseline knows a finding (its call is reported as known, never refused). */
  known(finding: Finding): boolean
}

/**
 * loopcop's frames between a recorded call's original and the code that called the wrapper: this
 * function, `record` and the wrapper (the detector's `onCall` is `record` bound, no frame of its
 * own; a leaked call one more, `#leaked`). An error the original throws is captured
 * `Error.stackTraceLimit` frames deep, and these would take the place of the caller's own frames
 * at its bottom (the runner takes them out of a failing test's error, the frames they pushed out
 * stay lost): the limit is raised by as many while the original runs, so the error keeps the
 * caller's frames it has without loopcop.
 */
const RECORDED_FRAMES = 3

/** Calls the original with the depth guard up, and returns how long it blocked. `ownFrames`: loopcop's frames on the stack from here up (see `RECORDED_FRAMES`). */
function timed(guard: Guard, original: Function, self: unknown, args: unknown[], out: { ms: number }, ownFrames = RECORDED_FRAMES): unknown {
  guard.depth++
  const watched = guard.watched
  const limit = Error.stackTraceLimit
  const raised = raiseStackTraceLimit(limit, ownFrames)
  const t0 = now()
  if (watched !== undefined) watched[IN_CALL] = 1
  try {
    return Reflect.apply(original, self, args)
  } finally {
    if (watched !== undefined) watched[IN_CALL] = 0
    out.ms = now() - t0
    restoreStackTraceLimit(limit, raised)
    guard.depth--
  }
}

/** The verdict on a call inside `allowBlocking(fn)`. */
const ALLOWED_IN_CALLBACK = Object.freeze({ kind: 'allowed', rule: 'allowBlocking(fn)', builtin: false } as const)
/** The verdict on a call after `allowBlocking()` in a test. */
const ALLOWED_REST = Object.freeze({ kind: 'allowed', rule: 'allowBlocking()', builtin: false } as const)

/** A call's argument summary: the one worked out already (for rules that need no stack), else worked out now. */
function summaryOf(known: string | undefined | typeof UNSUMMARIZED, op: Operation, args: readonly unknown[]): string | undefined {
  return known === UNSUMMARIZED ? summarizeArgs(op, args) : known
}

/** The frames of a call judged by rules that need none. */
const noFrames = (): readonly Frame[] => []

/** Records the blocking calls made in scopes. */
export class CallRecorder {
  readonly #tools: CallTools
  /**
   * The built-in allowance `#deeper` settled the call it captured for (a module loading inside a
   * test), else `undefined`: read and cleared right after the capture, before the call runs.
   */
  #settled: (Verdict & { readonly kind: 'allowed' }) | undefined

  constructor(tools: CallTools) {
    this.#tools = tools
  }

  /**
   * A blocking call inside an active, non-quiet scope, outside any other wrapped call. Everything
   * loopcop does here is guarded: its own failure is reported, never thrown into the caller.
   *
   * The capture is made from here (`Stacks.capture`), with no function between this one and the
   * wrapper: V8 walks each frame from the capture up to the wrapper it cuts them off at, ~0.9 µs a
   * frame inside a runner (bench/README.md, "Forty-ninth pass").
   */
  record(op: Operation, original: Function, self: unknown, args: unknown[], scope: Scope, wrapper: Function): unknown {
    // The whole of it — the call and loopcop's stack capture and judging around it — is time the
    // stall monitor leaves out: the call is a finding of its own, the rest is loopcop's.
    const t0 = now()
    try {
      if (op.blocksWithoutCallback === true && typeof args[args.length - 1] === 'function') return Reflect.apply(original, self, args)
      const s = scope.settings
      const out = { ms: 0 }
      // `allowBlocking()`: counted and timed under that rule for the run report, never judged.
      if (scope.allowsAll) {
        const counted = scope.allowedCallsGoTo()
        if (counted !== undefined) {
          try {
            return timed(this.#tools.guard, original, self, args, out)
          } finally {
            counted.tally(op).countAllowed(scope.kind === 'allow' ? ALLOWED_IN_CALLBACK : ALLOWED_REST, out.ms)
          }
        }
        // The allowance ended with its test: a call its work makes later is that test's leak, judged
        // as any other (before, it was counted nowhere).
        const owner = scope.owner()
        if (owner?.ended === true) return this.#leaked(op, original, self, args, owner, wrapper, out)
        return timed(this.#tools.guard, original, self, args, out)
      }
      if (scope.ended) return this.#leaked(op, original, self, args, scope, wrapper, out)
      const stacks = this.#tools.stacks

      // Rules that need no stack decide before anything is captured. The argument summary they need
      // is the one a kept call records: worked out once (no closure to work it out: a kept call runs
      // mostly cold, where one closure and its context were a share of what each call allocated).
      let arg: string | undefined | typeof UNSUMMARIZED = UNSUMMARIZED
      if (s.cheapRules.length > 0) {
        arg = summarizeArgs(op, args)
        const rule = findAllowingRule(s.cheapRules, { operation: op, arg, frames: noFrames })
        if (rule !== undefined) {
          try {
            return timed(this.#tools.guard, original, self, args, out)
          } finally {
            scope.tally(op).countAllowed({ kind: 'allowed', rule: rule.label, builtin: rule.builtin }, out.ms, arg)
          }
        }
      }

      const tally = scope.tally(op)
      if (s.mode === 'throw') {
        const kept: KeptCall = { raw: this.#deepest(stacks.capture(s.captureDepth, wrapper), s, wrapper), ms: 0, arg: summaryOf(arg, op, args), leak: false, raised: true }
        const verdict = tally.verdict(kept, scope.rules)
        // A call the baseline knows is not refused: it runs, and is reported as known, as in `fail`
        // mode (jscodeshift: a baselined suite's known calls failed 15 tests under `throw`).
        let known = false
        if (verdict.kind === 'violation') {
          const finding = syncFinding(this.#tools.ids.next(), op, { calls: 1, ms: 0, maxMs: 0, frames: tally.shown(kept, s.traceDepth), arg: kept.arg, otherArgs: 0, verdict, leak: false, raised: true, unstacked: false, cut: this.#tools.stacks.cutBelowSearch(kept.raw, s.captureDepth) }, scope)
          known = this.#tools.known(finding)
          if (!known) {
            tally.calls++
            tally.violation = true
            tally.keep(kept)
            const error = this.#tools.blockingError([finding], scope.test?.name)
            scope.refusals ??= new Map()
            // Bounded, as kept stacks are: past them a runner's copy of an error is taken as showing every refusal.
            if (scope.refusals.size < STACKS_PER_OPERATION) scope.refusals.set(error.message, finding)
            throw error
          }
        }
        try {
          return timed(this.#tools.guard, original, self, args, out)
        } finally {
          tally.calls++
          if (verdict.kind === 'allowed') this.#keepAllowed(tally, { ...kept, ms: out.ms, raised: false, verdict }, out.ms)
          else if (known) this.#keepKnown(tally, { ...kept, ms: out.ms, raised: false, verdict }, out.ms)
        }
      }

      // Keep a stack for the first calls; after that only while every call so far was allowed,
      // because then each one must still be judged (the verdict never depends on sampling).
      const keep = tally.kept.length < STACKS_PER_OPERATION || !tally.violation
      const raw = keep ? this.#deeper(stacks.capture(s.shallowDepth ?? s.captureDepth, wrapper), s, wrapper, tally, scope, op, args, arg) : undefined
      // A call a built-in rule settled (never reported) is counted, not kept: the kept calls of an
      // operation are the first ones a finding may show, and module loads must not use them up (the
      // tests' own calls after them were counted without a place to audit them).
      const settled = this.#settled
      this.#settled = undefined
      try {
        return timed(this.#tools.guard, original, self, args, out)
      } finally {
        try {
          const ms = out.ms
          tally.calls++
          tally.ms += ms
          if (ms > tally.maxMs) tally.maxMs = ms
          if (raw === undefined) {
            tally.countUnstacked(ms)
          } else if (settled !== undefined) {
            tally.countAllowed(settled, ms)
          } else {
            const call: KeptCall = { raw, ms, arg: summaryOf(arg, op, args), leak: false, raised: false }
            if (tally.kept.length < STACKS_PER_OPERATION) {
              tally.keep(call)
              if (tally.kept.length === STACKS_PER_OPERATION && !tally.violation && tally.judgeKept(scope.rules)) tally.violation = true
            } else {
              const verdict = tally.verdict(call, scope.rules)
              if (verdict.kind === 'allowed') tally.countAllowed(verdict, ms)
              else {
                tally.violation = true
                tally.keep(call)
              }
            }
          }
        } catch (error) {
          scope.internalErrors.push(error)
          this.#tools.internalError(error)
        }
      }
    } finally {
      this.#tools.guard.blockedMs += now() - t0
    }
  }

  /**
   * A kept call's stack, from `raw` as `record` captured it: `traceDepth` frames when no rule looks
   * past the caller frame and they show it, else `captureDepth` (see `Settings.shallowDepth`). The
   * shallow one is read at once, to tell. When it shows no caller frame but a built-in rule allows
   * the call from its frames, and no rule of the user's looking at the stack comes first
   * (`builtinsDecideFirst`), the verdict cannot change deeper down (`isSettledBuiltinAllowance`:
   * unless the rule applies only where no frame of the user's own is captured, which a deeper
   * capture may show) and the call is never reported: judged now on the shallow stack (the judge
   * remembers the verdict), it is counted under that allowance and not kept (`#settled`). So a
   * module loaded inside a test — Node's loader, Vite's, Jest's registry, the test's own frame far
   * below — is not captured twice. `arg`: the argument summary if worked out already (it is worked
   * out here, before the call, only for such a judgement).
   */
  #deeper(raw: RawStack, s: Settings, wrapper: Function, tally: OperationTally, scope: Scope, op: Operation, args: readonly unknown[], arg: string | undefined | typeof UNSUMMARIZED): RawStack {
    if (s.shallowDepth === undefined) return this.#deepest(raw, s, wrapper)
    const stacks = this.#tools.stacks
    try {
      if (stacks.holdsCaller(raw, s.shallowDepth)) return raw
      if (builtinsDecideFirst(scope.rules)) {
        const verdict = tally.verdict({ raw, ms: 0, arg: summaryOf(arg, op, args), leak: false, raised: false }, scope.rules)
        if (verdict.kind === 'allowed' && isSettledBuiltinAllowance(verdict)) {
          this.#settled = verdict
          return raw
        }
      }
    } catch (error) {
      // Read before the call runs: loopcop's failure is reported, never thrown into the caller.
      this.#tools.internalError(error)
    }
    return this.#deepest(stacks.capture(s.captureDepth, wrapper), s, wrapper)
  }

  /**
   * A stack captured `captureDepth` deep (`raw`), or, when it was cut there with no frame of the
   * user's in it, the same captured once more `DEEPEST_SEARCH` deep: the user's frame, which the
   * verdict (the "test code" rule, a `caller` rule) and the call site turn on, may lie further down
   * (typedoc: TypeScript's `fs.statSync` 34–40 frames below the test helper that called
   * `createProgram`, reported in the package; changesets: a test's own `prettier.format` in a nock
   * callback, the test file's frame the 21st, failed the test it is allowed in). A stack that shows
   * the user's frame, or ended within the limit (a package's callback, a continuation), is kept.
   */
  #deepest(raw: RawStack, s: Settings, wrapper: Function): RawStack {
    if (s.captureDepth >= DEEPEST_SEARCH) return raw
    const stacks = this.#tools.stacks
    try {
      if (stacks.holdsCaller(raw, s.captureDepth)) return raw
    } catch (error) {
      this.#tools.internalError(error)
      return raw
    }
    return stacks.capture(DEEPEST_SEARCH, wrapper)
  }

  /**
   * A call `mode: 'throw'` let run because a rule allows it: kept with its stack while the operation
   * keeps stacks, as `fail` mode keeps the first calls, so that the report shows where the rule (the
   * tests' own code, a `caller`) allowed it; past them, or allowed by a built-in rule (never
   * reported), counted under the rule. Before, every such call was counted only (pug: none of 346
   * calls the "test code" rule allowed had a place in the report, and two sites were one finding).
   */
  #keepAllowed(tally: OperationTally, call: KeptCall & { readonly verdict: Verdict & { readonly kind: 'allowed' } }, ms: number): void {
    if (isBuiltinAllowance(call.verdict) || tally.kept.length >= STACKS_PER_OPERATION) {
      tally.countAllowed(call.verdict, ms)
      return
    }
    tally.ms += ms
    if (ms > tally.maxMs) tally.maxMs = ms
    tally.keep(call)
  }

  /**
   * A call `mode: 'throw'` let run because the baseline knows it: kept with its stack while the
   * operation keeps stacks (`STACKS_PER_OPERATION`), then counted and timed only, as known calls
   * past them are in `fail` mode (the baseline takes them as known with the stacked ones).
   */
  #keepKnown(tally: OperationTally, call: KeptCall, ms: number): void {
    tally.ms += ms
    if (ms > tally.maxMs) tally.maxMs = ms
    tally.violation = true
    if (tally.kept.length < STACKS_PER_OPERATION) {
      tally.keep(call)
      return
    }
    tally.countUnstacked(ms)
  }

  /** A call charged to a scope that has ended: judged at once and reported as a leak. */
  #leaked(op: Operation, original: Function, self: unknown, args: unknown[], scope: Scope, wrapper: Function, out: { ms: number }): unknown {
    const s = scope.settings
    const tally = scope.tally(op)
    const kept: KeptCall = { raw: this.#deepest(this.#tools.stacks.capture(s.captureDepth, wrapper), s, wrapper), ms: 0, arg: summarizeArgs(op, args), leak: true, raised: false }
    try {
      return timed(this.#tools.guard, original, self, args, out, RECORDED_FRAMES + 1)
    } finally {
      try {
        const verdict = tally.verdict(kept, scope.rules)
        if (!isBuiltinAllowance(verdict)) {
          const ms = out.ms
          const frames = tally.shown(kept, s.traceDepth)
          const label = verdict.kind === 'allowed' ? verdict.rule : ''
          // Aggregated by call site in the scope that leaked (see Scope.leakCall).
          scope.leakCall(`${op.id}\u0000${label}\u0000${siteKey(frames)}`, ms, () =>
            syncFinding(this.#tools.ids.next(), op, { calls: 1, ms, maxMs: ms, frames, arg: kept.arg, otherArgs: 0, verdict, leak: true, raised: false, unstacked: false, cut: this.#tools.stacks.cutBelowSearch(kept.raw, s.captureDepth) }, scope),
          )
        }
      } catch (error) {
        this.#tools.internalError(error)
      }
    }
  }
}
