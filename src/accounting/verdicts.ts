// Judging a kept call against the allow rules (docs/architecture.md, "allow rules"), once per call
// site and rule set.
import type { Frame } from '../model/finding.js'
import type { Operation } from '../model/operation.js'
import type { Verdict } from '../model/verdict.js'
import type { RawStack, Stacks } from '../stack/capture.js'
import { type CallView, type CompiledRule, findAllowingRule, looksAtArgument, looksPastCaller, verdictOf } from './allow.js'
import { liveCwd } from '../runtime/cwd.js'

/** What a judge needs of a call: its operation's argument summary and its captured stack. */
export interface Judged {
  readonly raw: RawStack
  readonly arg: string | undefined
  /** Its frames, once read (by the judge, or by whoever read them first). */
  frames?: Frame[]
}

/**
 * A judged call as rules see it: one object a call, its frames read from its stack when a rule
 * asks (methods, not a closure a part: a kept call runs mostly cold, see `findAllowingRule`).
 */
class JudgedView implements CallView {
  readonly #stacks: Stacks
  readonly #call: Judged

  constructor(stacks: Stacks, call: Judged, readonly operation: Operation) {
    this.#stacks = stacks
    this.#call = call
  }

  get arg(): string | undefined {
    return this.#call.arg
  }

  frames(): readonly Frame[] {
    const call = this.#call
    return (call.frames ??= this.#stacks.read(call.raw))
  }

  rawFrames(): readonly Frame[] {
    return this.#stacks.rawFrames(this.#call.raw)
  }

  caller(): Frame | undefined {
    return this.#stacks.caller(this.#call.raw)
  }
}

/**
 * Judges calls, remembering verdicts by rule set, then by operation and argument, then by stack
 * key (the stack's generated positions, read without formatting: see `Stacks.key`): each call
 * site is judged once per rule set. The stack key is a key of its own (not concatenated into one),
 * so its hash is computed once per captured stack rather than over a fresh string per lookup.
 * Where no rule of the set looks below the caller frame (the built-in rules, `caller` rules, the
 * "test code" rule, rules without stack fields), the key stops at the caller frame
 * (`Stacks.callerKey`): a helper that blocks, called from every test, is judged once, not once
 * per test whose frame sits below it. Where no rule of the set reads the argument (no `path` or
 * `command` field), the argument is left out of the key too: a helper that writes a fresh
 * temporary file in each test is judged once, not once a file name.
 * A rule's relative globs are matched against the project's directory (`projectCwd`), and a
 * blocking call's relative path argument is the file in the working directory of the moment: the
 * verdicts stand for the one they were judged in, and are forgotten when a test changes it
 * (`process.chdir` into a fixture folder).
 */
export class Judge {
  readonly #stacks: Stacks
  /** Verdicts by rule set, operation, argument summary (when a rule reads it) and stack key: no string made per lookup but the stack's own key. */
  #verdicts = new WeakMap<readonly CompiledRule[], Map<Operation, Map<string | undefined, Map<string, Verdict>>>>()
  #cachedKeys = 0
  /** The working directory the verdicts were judged in. */
  #cwd: string | undefined

  constructor(stacks: Stacks) {
    this.#stacks = stacks
  }

  /** The verdict on a call: `violation`, or `allowed` by the first rule that matches. */
  judge(call: Judged, operation: Operation, rules: readonly CompiledRule[]): Verdict {
    const stacks = this.#stacks
    // Node keeps the working directory (read again only after a `chdir`): comparing costs a string
    // compare. A `path` rule's relative argument is the live directory's file (see `Judge`).
    const cwd = liveCwd()
    if (cwd !== this.#cwd) {
      if (this.#cwd !== undefined) this.#verdicts = new WeakMap()
      this.#cachedKeys = 0
      this.#cwd = cwd
    }
    const upToCaller = looksPastCaller(rules) ? undefined : stacks.callerKey(call.raw)
    const key = stacks.key(call.raw)
    let byOperation = this.#verdicts.get(rules)
    if (byOperation === undefined) this.#verdicts.set(rules, (byOperation = new Map<Operation, Map<string | undefined, Map<string, Verdict>>>()))
    let byArg = byOperation.get(operation)
    if (byArg === undefined) byOperation.set(operation, (byArg = new Map<string | undefined, Map<string, Verdict>>()))
    const arg = looksAtArgument(rules) ? call.arg : undefined
    let byKey = byArg.get(arg)
    if (byKey === undefined) byArg.set(arg, (byKey = new Map<string, Verdict>()))
    const known = (upToCaller === undefined ? undefined : byKey.get(upToCaller)) ?? byKey.get(key)
    if (known !== undefined) return known
    const verdict = verdictOf(findAllowingRule(rules, new JudgedView(stacks, call, operation)))
    if (++this.#cachedKeys > 5_000) {
      byOperation.clear()
      this.#cachedKeys = 0
    }
    // A caller frame that mapping moved further down (a rare source map into a dependency) made
    // the verdict depend on the frames below: it stands for this stack only. Whether it moved is
    // the position's (mapped once), so a stack sharing the key up to the caller never finds the
    // verdict under that key when it would have moved for it.
    byKey.set(upToCaller !== undefined && !stacks.callerMoved(call.raw) ? upToCaller : key, verdict)
    return verdict
  }
}
