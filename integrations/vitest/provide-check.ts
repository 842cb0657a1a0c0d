// The check of loopcop's options in the Vitest config (`test.provide.loopcop`), shared by the test
// files (which apply them) and the reporter (which checks them in Vitest's main process, before any
// test file starts): no import of Vitest's test API here, which the main process must not load.
import { validateOptions } from '../../src/integration.js'

/** The key of loopcop's options in the Vitest config's `test.provide`. */
export const PROVIDE_KEY = 'loopcop'

/** Where the options come from, as errors name it. */
export const WHERE = 'test.provide.loopcop'

/**
 * The error of a wrong option in `test.provide.loopcop`: its message names the option (its cause's
 * message, so no cause is kept); its stack is the message alone (where it was found is loopcop's
 * own code, which says nothing to the user).
 */
export function wrongOptions(cause: unknown): TypeError {
  const error = new TypeError(`loopcop: wrong options in ${WHERE} of the Vitest config: ${cause instanceof Error ? cause.message : String(cause)}`)
  error.stack = `TypeError: ${error.message}`
  return error
}

/** Throws `test.provide.loopcop`'s error when `options` are wrong (the reporter's check, in Vitest's main process). */
export function assertProvidedOptions(options: unknown): void {
  try {
    validateOptions(options, undefined, WHERE)
  } catch (error) {
    throw wrongOptions(error)
  }
}
