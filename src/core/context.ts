import { AsyncLocalStorage } from 'node:async_hooks'
import type { Scope } from './scope.js'

/**
 * The scope of the code running now: a test, a `detect()` call, an `allowBlocking(fn)`.
 * Timers and promise continuations inherit it, so work a test starts is charged to that test.
 */
export const als = new AsyncLocalStorage<Scope>()

/**
 * Depth of wrapped calls on the stack. Blocking calls are synchronous, so one counter per
 * thread is exact: `readFileSync` → `openSync`/`readSync` is one finding, not three.
 */
export const guard = {
  depth: 0,
  /** Total ms spent inside wrapped calls on this thread: stall detection does not count it twice. */
  blockedMs: 0,
}
