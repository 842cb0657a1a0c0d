/** What happens when blocking is found: fail the test at its end, throw at the call, print, or nothing. */
export type Mode = 'fail' | 'throw' | 'warn' | 'off'

/** The modes accepted by `mode` and `stallMode`. */
export const MODES = ['fail', 'throw', 'warn', 'off'] as const satisfies readonly Mode[]

/** Whether findings judged in this mode fail their test (`fail`, `throw`). */
export function failsTests(mode: Mode): boolean {
  return mode === 'fail' || mode === 'throw'
}
