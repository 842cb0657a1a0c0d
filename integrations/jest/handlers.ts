/**
 * How the environment's `handleTestEvent` rides along with Jest's own event handler instead of
 * being one more handler of its own (Jest 30).
 *
 * jest-circus hands every event to each of its handlers in turn, `for (const handler of handlers)
 * await handler(event, getState())`: about eight events a test, and each handler costs a read of
 * the state from the test file's global (through the `vm` context's interceptors) and an `await`.
 * An environment with `handleTestEvent` is one handler more: a no-op one added ~93 K instructions
 * a test on Node 20 and ~68 K on Node 24 (3,000 empty tests, counted), more than the rest of what
 * loopcop does for a test under Jest. Folded into the handler Jest calls just before it, the
 * environment's handler runs at the same point of each event, with the same state, for a few
 * hundred instructions.
 * @module
 */
import { isThenable } from '../../src/integration.js'
import type { CircusEvent, CircusState } from './circus.js'

/** Where Jest 30 keeps a test file's event handlers: an array on the file's global (jest-circus's `EVENT_HANDLERS`). Jest 29 keeps them to itself. */
export const EVENT_HANDLERS: unique symbol = Symbol.for('EVENT_HANDLERS') as never

/** A jest-circus event handler, as `addEventHandler` takes it. */
export type CircusHandler = (event: CircusEvent, state: CircusState | undefined) => unknown

/**
 * Whether calling `fn` does all its work before it returns: a function with no `await` (nor
 * `yield`) in its source. jest-circus's handler before the environment's (`eventHandler` of
 * `jestAdapterInit`: at `test_done` it adds the errors of `expect.assertions`) is an `async`
 * function without one; should a later Jest's await, the environment's handler would see a test
 * before it is complete, so it is not folded then.
 */
function completesOnReturn(fn: Function): boolean {
  let source: string
  try {
    source = Function.prototype.toString.call(fn)
  } catch {
    return false
  }
  return !/\b(?:await|yield)\b/.test(source)
}

/**
 * Replaces `own`, the last of `handlers`, and the handler before it by one function that calls
 * that handler and then `own`, with the event and state dispatch gave it: every event reaches
 * both, in the same order, synchronously as before (`dispatchSync`'s events too), and dispatch
 * waits for what either returned. Returns whether it folded: not when `handlers` is not Jest's
 * array, `own` is not its last handler (one was added after it: the order would change), or the
 * handler before it does not complete when it returns. Called while Jest dispatches an event to
 * `own`: its loop over the array ends with the handler it is calling, as it would have.
 */
export function foldHandler(handlers: unknown, own: CircusHandler): boolean {
  if (!Array.isArray(handlers) || handlers.length < 2 || handlers[handlers.length - 1] !== own) return false
  const before: unknown = handlers[handlers.length - 2]
  if (typeof before !== 'function' || !completesOnReturn(before)) return false
  const first = before as CircusHandler
  const folded: CircusHandler = (event, state) => {
    const done = first(event, state)
    const ownDone = own(event, state)
    if (!isThenable(ownDone)) return done
    // Both waited for, and neither's rejection left unhandled.
    return Promise.all([done, ownDone]).then(() => undefined)
  }
  handlers.pop()
  handlers[handlers.length - 1] = folded
  return true
}
