/**
 * loopcop's own work on the thread, kept apart from the code under test. Blocking calls are
 * synchronous, so one counter per thread is exact: while `depth` is up, a wrapped call is a plain
 * pass-through (`readFileSync` → `openSync`/`readSync` is one finding, not three; loopcop reading
 * a source map to format a stack is no finding at all). One per detector (one per process).
 */
export class Guard {
  /** Depth of wrapped calls and of loopcop's own work on the stack. */
  depth = 0
  /**
   * Total ms spent inside wrapped calls on this thread, loopcop's bookkeeping around them (stack
   * captures, judging) included: stall detection does not count it twice.
   */
  blockedMs = 0
  /** Total ms of loopcop's own work on this thread outside wrapped calls (the stall probe): never a stall's. */
  ownMs = 0
  /**
   * The same work's CPU time on this thread's clock, in ms. Stalls are bounded by the thread's CPU,
   * so what is taken off that bound must be CPU too: on a loaded machine the probe's wall time
   * (the thread waiting for a core) can be many times its CPU time, and taking the wall time off
   * the CPU bound hid real stalls.
   */
  ownCpuMs = 0

  /** Runs `fn` as loopcop's own work: blocking calls it makes are not findings. */
  hold<T>(fn: () => T): T {
    this.depth++
    try {
      return fn()
    } finally {
      this.depth--
    }
  }
}
