/**
 * Jest takes the first line of a failure message that reads like a stack frame (`at fn (file:1:2)`)
 * as the start of the stack trace: the message is cut there, and the code frame is looked up from
 * that line (a relative path: none is shown). loopcop's messages list frames under each finding, so
 * for Jest they are written `in fn (file:1:2)`; the error's real stack (the culprit's) is kept.
 * @module
 */
import { framesReadIn } from '../../src/integration.js'

/** A loopcop message with its frame lines made safe for Jest's message/stack split. */
export function jestMessage(text: string): string {
  return framesReadIn(text)
}

/** Rewrites an error's message (and the message part of its stack) with `jestMessage`. */
export function forJest<E extends Error>(error: E): E {
  const message = jestMessage(error.message)
  if (message === error.message) return error
  const head = `${error.name}: ${error.message}`
  const stack = typeof error.stack === 'string' && error.stack.startsWith(head) ? `${error.name}: ${message}${error.stack.slice(head.length)}` : error.stack
  error.message = message
  if (stack !== undefined) Object.defineProperty(error, 'stack', { value: stack, writable: true, configurable: true, enumerable: false })
  return error
}
