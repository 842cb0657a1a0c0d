// The check of loopcop's options in the Vitest config (`test.provide.loopcop`), shared by the test
// files (which apply them) and the reporter (which checks them in Vitest's main process, before any
// test file starts): no import of Vitest's test API here, which the main process must not load.
import { OPTION_KEYS, type Options, validateOptions } from '../../src/integration.js'

/** The key of loopcop's options in the Vitest config's `test.provide`. */
export const PROVIDE_KEY = 'loopcop'

/** Where the options come from, as errors name it. */
export const WHERE = 'test.provide.loopcop'

/**
 * The error of a wrong option in `test.provide.loopcop`: its message names the option and where it
 * was given, once (its cause's message, so no cause is kept); its stack is the message alone (where
 * it was found is loopcop's own code, which says nothing to the user).
 */
export function wrongOptions(cause: unknown): TypeError {
  const message = cause instanceof Error ? cause.message : String(cause)
  const where = `${WHERE} of the Vitest config`
  const error = new TypeError(message.includes(WHERE) ? `loopcop: ${message.replace(WHERE, where)}` : `loopcop: wrong options in ${where}: ${message}`)
  error.stack = `TypeError: ${error.message}`
  return error
}

/** Throws `test.provide.loopcop`'s error when `options` are wrong (the reporter's check, in Vitest's main process); returns them validated. */
export function assertProvidedOptions(options: unknown): Partial<Options> {
  if (typeof options === 'object' && options !== null && 'onFinding' in options) {
    const error = new TypeError(`loopcop: \`onFinding\` cannot be given in ${WHERE} of the Vitest config: \`provide\` takes data to the test files, not functions. Call configure({ onFinding }) in a setup file listed after 'loopcop/vitest' in setupFiles.`)
    error.stack = `TypeError: ${error.message}`
    throw error
  }
  try {
    return validateOptions(options, PROVIDED_KEYS, WHERE)
  } catch (error) {
    throw wrongOptions(error)
  }
}

/** The options `test.provide.loopcop` takes: every one of `configure()`'s but `onFinding`, a function. */
const PROVIDED_KEYS = OPTION_KEYS.filter((k) => k !== 'onFinding')
