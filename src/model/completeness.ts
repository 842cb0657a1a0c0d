// Whether a run ran the whole suite through, as each integration tells the baseline (README "A
// complete run"): only then is a baseline entry it did not see a fixed one.

/**
 * A run's completeness: `true`; `false` (partial, for no reason the integration can name); or, for
 * a partial run, why (`'--grep'`, `'a test or a hook failed, or a test file did not load'`), which the baseline's
 * lines print and the JSON report keeps as `baseline.partial`.
 */
export type Completeness = boolean | string

/** The reasons every integration gives alike. */
export const PARTIAL = {
  failed: 'a test or a hook failed, or a test file did not load',
  interrupted: 'the run was interrupted',
  namedFiles: 'test files named on the command line',
  unchecked: 'loopcop checked no test file',
  partlyUnchecked: 'loopcop did not check part of the run',
} as const

/** Whether a runner's option is given (neither unset, `false`, `''` nor an empty list): one that narrows the suite then does. */
export function isGiven(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false && value !== '' && !(Array.isArray(value) && value.length === 0)
}

/**
 * The first check that does not find the run complete (each is asked only if those before it did),
 * else `true`: what narrows the suite first, then what stopped it.
 */
export function firstPartial(...checks: readonly (() => Completeness)[]): Completeness {
  for (const check of checks) {
    const verdict = check()
    if (verdict !== true) return verdict
  }
  return true
}
