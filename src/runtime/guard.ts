import { monotonicNow, now } from './clock.js'

/**
 * How long one piece of the runner's work (a stack formatting) runs, in wall or CPU ms, before it is
 * the runner's time and no stall's (`Guard.asRunnerWork`): parsing a source map takes tens to
 * hundreds of ms; formatting a stack whose positions are known, well under one.
 */
export const RUNNER_WORK_MS = 10

/** The slot of the watchdog's shared memory that holds the thread's last beat, as the watchdog reads it (`monotonicNow()`). */
export const LAST_BEAT = 0
/** The slot of the watchdog's shared memory that says a wrapped call's original is running (see `Guard.watched`; watchdog-worker.mjs reads it). */
export const IN_CALL = 6

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
  /**
   * Total ms of loopcop's own work on this thread outside wrapped calls (the stall probe), and of
   * the runner's work for the code under test (`asRunnerWork`): never a stall's.
   */
  ownMs = 0
  /**
   * The same work's CPU time on this thread's clock, in ms. Stalls are bounded by the thread's CPU,
   * so what is taken off that bound must be CPU too: on a loaded machine the probe's wall time
   * (the thread waiting for a core) can be many times its CPU time, and taking the wall time off
   * the CPU bound hid real stalls.
   */
  ownCpuMs = 0
  /** Depth of the runner's work for the code under test on the stack (`asRunnerWork`). */
  runnerDepth = 0
  /** When the outermost runner's work on the stack began (`now()`), while `runnerDepth` is up. */
  runnerSince = 0
  /**
   * The stall watchdog's memory shared with its thread, once it runs: a wrapped call sets
   * `IN_CALL` there while the original runs, so that the watchdog does not probe a thread that is
   * inside a blocking call (that time is the call's own finding). V8 serves a probe inside an
   * `Atomics.wait`: probed again and again, one 10 s wait cost ~250 ms of CPU (pino).
   */
  watched: Float64Array | undefined = undefined

  /**
   * Runs `fn`, the runner's work done for the code under test; when it took `RUNNER_WORK_MS` or
   * more, no stall counts its time: the time goes to `ownMs` and `ownCpuMs` (`cpuMs`: this thread's
   * CPU clock) as loopcop's own does. A runner's stack formatter (its source-map support) parses a
   * dependency's source map the first time a stack shows it: 160–250 ms of one `.stack` read in
   * jscodeshift's tests, which was charged as a stall to the line that read it; without the runner
   * that read costs V8 next to nothing. Formatting that is brief each time stays the code's: code
   * that reads stacks again and again (Svelte's dev mode) stalls by its reading. Inside loopcop's
   * own work, which times itself, and for the wrapped calls `fn` makes (their time is `blockedMs`),
   * nothing is counted twice.
   */
  asRunnerWork<T>(fn: () => T, cpuMs: () => number): T {
    if (this.depth > 0) return fn()
    const t0 = now()
    const cpu0 = cpuMs()
    const own0 = this.blockedMs + this.ownMs
    const ownCpu0 = this.ownCpuMs
    if (this.runnerDepth++ === 0) this.runnerSince = t0
    try {
      return fn()
    } finally {
      this.runnerDepth--
      const wall = now() - t0 - (this.blockedMs + this.ownMs - own0)
      const cpu = cpuMs() - cpu0 - (this.ownCpuMs - ownCpu0)
      if (wall >= RUNNER_WORK_MS || cpu >= RUNNER_WORK_MS) {
        if (wall > 0) this.ownMs += wall
        if (cpu > 0) this.ownCpuMs += cpu
        // For the watchdog, the stall starts anew here: it probes a threshold on, not at once. A probe
        // asked for during the work and served after it, or soon after (V8 serves it at the next
        // function call; a collection of the work's garbage holds it), lands on the code that waited
        // for the work: Jest's `expect(` that took a stack after a 2 s source-map parse, charged
        // with the test's 300 ms loop that came next. Such a probe now finds its beat gone and
        // records nothing (`STALE` in watchdog.ts). The stall monitor's own gap goes on. Only work
        // that took CPU: a brief formatting the thread was descheduled in (a loaded machine) is
        // long in wall time only, and code that formats stacks in a loop there would postpone the
        // watchdog again and again.
        if (cpu >= RUNNER_WORK_MS && this.watched !== undefined) this.watched[LAST_BEAT] = monotonicNow()
      }
    }
  }

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
