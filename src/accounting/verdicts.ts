// Judging a kept call against the allow rules (docs/architecture.md, "allow rules"), once per call
// site and rule set.
import type { Frame } from '../model/finding.js'
import type { Operation } from '../model/operation.js'
import type { Verdict } from '../model/verdict.js'
import type { RawStack, Stacks } from '../stack/capture.js'
import { type CallView, type CompiledRule, findAllowingRule, verdictOf } from './allow.js'

/** What a judge needs of a call: its operation's argument summary and its captured stack. */
export interface Judged {
  readonly raw: RawStack
  readonly arg: string | undefined
}

/**
 * Judges calls, remembering verdicts by rule set, then by operation and argument, then by stack
 * key (the stack's generated positions, read without formatting: see `Stacks.key`): each call
 * site is judged once per rule set. The stack key is a key of its own (not concatenated into one),
 * so its hash is computed once per captured stack rather than over a fresh string per lookup.
 */
export class Judge {
  readonly #stacks: Stacks
  readonly #verdicts = new WeakMap<readonly CompiledRule[], Map<string, Map<string, Verdict>>>()
  #cachedKeys = 0

  constructor(stacks: Stacks) {
    this.#stacks = stacks
  }

  /** The verdict on a call: `violation`, or `allowed` by the first rule that matches. `frames` reads the call's frames (once). */
  judge(call: Judged, operation: Operation, rules: readonly CompiledRule[], frames: () => readonly Frame[]): Verdict {
    const key = this.#stacks.key(call.raw)
    let byCall = this.#verdicts.get(rules)
    if (byCall === undefined) {
      byCall = new Map()
      this.#verdicts.set(rules, byCall)
    }
    const callKey = call.arg === undefined ? operation.id : `${operation.id}\u0000${call.arg}`
    let byKey = byCall.get(callKey)
    if (byKey === undefined) {
      byKey = new Map()
      byCall.set(callKey, byKey)
    }
    const known = byKey.get(key)
    if (known !== undefined) return known
    const view: CallView = { operation, arg: call.arg, frames }
    const verdict = verdictOf(findAllowingRule(rules, view))
    if (++this.#cachedKeys > 5_000) {
      byCall.clear()
      this.#cachedKeys = 0
    }
    byKey.set(key, verdict)
    return verdict
  }
}
