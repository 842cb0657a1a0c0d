/**
 * What loopcop decided about one blocking call (or stall):
 * - `violation`: no rule allows it; it fails its test in `fail`/`throw` mode.
 * - `allowed`: an allow rule matched; `builtin` rules (the runners' own machinery) are not reported.
 * - `unjudged`: it kept no stack of its own (past the first calls of an operation in a scope), so
 *   no rule that needs one could look at it. Counted and timed; reported as "more calls".
 */
export type Verdict = Violation | Allowed | Unjudged

/** No rule allows the call. */
export interface Violation {
  readonly kind: 'violation'
}

/** An allow rule matched. */
export interface Allowed {
  readonly kind: 'allowed'
  /** The rule as the user wrote it (`'fs.existsSync'`, `{"package":"pino"}`), or a built-in rule's name. */
  readonly rule: string
  /** A built-in rule (the runners' own machinery): such calls are dropped, never reported. */
  readonly builtin: boolean
}

/** Not judged: the call kept no stack of its own. */
export interface Unjudged {
  readonly kind: 'unjudged'
}

/**
 * The rule a call the tests' own code made is allowed by (`testCode: 'allow'`): built in, but
 * reported like a user rule (`builtin: false`) — it is counted in the summary.
 */
export const TEST_CODE_RULE = 'test code'

/** The one `violation` verdict. */
export const VIOLATION: Violation = Object.freeze({ kind: 'violation' })

/** The one `unjudged` verdict. */
export const UNJUDGED: Unjudged = Object.freeze({ kind: 'unjudged' })

/** Whether a verdict is an allowance by a built-in rule: the runners' machinery, never reported. */
export function isBuiltinAllowance(verdict: Verdict): boolean {
  return verdict.kind === 'allowed' && verdict.builtin
}
