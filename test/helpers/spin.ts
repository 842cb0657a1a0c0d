import { Guard } from '../../src/runtime/guard.js'
import { ThreadClock } from '../../src/runtime/thread-clock.js'

// The clock the stall monitor bounds stalls with: this thread's CPU time (thread-clock.ts keeps
// the fs functions it reads /proc with from before loopcop wraps them: no finding of its own).
const clock = new ThreadClock(new Guard())

/**
 * Busy-works until `ms` of this thread's CPU time have been used and `ms` have passed: the shape
 * of a real stall (a fixed amount of work). CPU-bounded, it does not grow into a false stall when
 * the machine is short of CPU; wall-bounded too, for where Node cannot tell this thread's CPU time
 * (the process's then also counts other threads).
 */
export function spinCpu(ms: number): number {
  const start = clock.ms()
  const t0 = performance.now()
  let n = 0
  for (;;) {
    for (let i = 0; i < 1000; i++) n += Math.sqrt(i) // the stalled lines: 19-21
    if (clock.ms() - start >= ms && performance.now() - t0 >= ms) return n
  }
}

/** The file `spinCpu` lives in, for assertions on a stall's location. */
export const spinFile: string = import.meta.filename

// istanbul's coverage counter, as Jest's `--coverage` and nyc instrument every file: a function every
// statement calls. Here it holds the busy work, so a stall's stack is caught inside it.
const coverage: { s: [number] } = { s: [0] }
function cov_1jn5cgyvn0(): typeof coverage {
  let n = 0
  for (let i = 0; i < 20_000; i++) n += Math.sqrt(i)
  coverage.s[0] += n > 0 ? 1 : 0
  return coverage
}

/** `spinCpu`, instrumented: the busy work is inside the coverage counter the loop calls. */
export function instrumentedSpin(ms: number): number {
  const start = clock.ms()
  const t0 = performance.now()
  for (;;) {
    cov_1jn5cgyvn0().s[0]++ // the instrumented statement
    if (clock.ms() - start >= ms && performance.now() - t0 >= ms) return coverage.s[0]
  }
}
