/**
 * The time this thread spends loading CommonJS modules (through `Module._load`, which every `require`
 * calls, and an `import()` of a CommonJS file as it evaluates it), kept apart from stalls: module
 * loading inside a test is not a stall unless `moduleLoading` (README, "stall"). Before, a stall was
 * told to be module loading by the one stack the watchdog read ~`stallMs` into it: a test's own
 * 180 ms of work around a 40 ms `require` was dropped when that stack fell in the `require`, and a
 * 60 ms `require` before 70 ms of work was reported as a 130 ms stall when it fell after (fastify's
 * first `inject()`, which requires ajv and its compilers). Loaders of their own (Jest's runtime,
 * Vite's module runner, `import()` of ES modules) are still told by the stack (stall/attribution.ts):
 * a probe that finds one looks again, and only what runs after the next probe is the scope's stall
 * (`StallMonitor`).
 * @module
 */
import { now } from './clock.js'
import type { Guard } from './guard.js'

/** What the clock reads: wall time, and this thread's CPU time (the stall monitor's own clock). */
export interface LoadingClockTools {
  readonly guard: Guard
  cpuMs(): number
}

/**
 * The running total of module loading on this thread, in wall and CPU ms, loopcop's own time and
 * wrapped calls inside it (the loader's `readFileSync`, already a call of its own) left out. Only
 * the outermost load counts, and only while `timing` (a scope watches stalls): outside tests
 * a load costs two additions.
 */
export class LoadingClock {
  readonly #tools: LoadingClockTools
  /** Module loads (`Module._load` calls) on the stack. */
  #depth = 0
  /**
   * The depth from which loading counts: raised while a scope opened inside a load is open
   * (a `detect()` at a module's top level), whose code is its own, not loading.
   */
  #base = 0
  /** Whether loading is timed now (a scope watches stalls). */
  #timing = false
  /** Settled loading time, wall and CPU. */
  #wallMs = 0
  #cpuMs = 0
  /** Where the loading in progress was last settled: wall, CPU, and loopcop's wall and CPU time then. */
  #sinceWall = 0
  #sinceCpu = 0
  #ownSince = 0
  #ownCpuSince = 0

  constructor(tools: LoadingClockTools) {
    this.#tools = tools
  }

  /** Whether a module is loading now, below no scope opened inside it. */
  get loading(): boolean {
    return this.#depth > this.#base
  }

  /** Times loading from now on (a scope watches stalls), or no longer. */
  set timing(on: boolean) {
    if (on === this.#timing) return
    if (!on) this.#settle()
    this.#timing = on
    if (on && this.loading) this.#start()
  }

  /** A load (`Module._load`) begins. */
  enter(): void {
    if (this.#depth++ === this.#base && this.#timing) this.#start()
  }

  /** A load ended (returned or threw). */
  exit(): void {
    if (this.#depth - 1 === this.#base) this.#settle()
    this.#depth--
    // A scope opened inside a load that has returned since (an async detect() at a module's top level).
    if (this.#depth < this.#base) this.#base = this.#depth
  }

  /** Loading time so far, wall ms: the one in progress up to now included. */
  wallMs(): number {
    return this.loading && this.#timing ? this.#wallMs + this.#runningWall() : this.#wallMs
  }

  /** Loading time so far, CPU ms: the one in progress up to now included. */
  cpuMs(): number {
    return this.loading && this.#timing ? this.#cpuMs + this.#runningCpu() : this.#cpuMs
  }

  /**
   * A scope opens: a load in progress (the scope opened at a module's top level) is the
   * scope's own code from here. Returns what `resume` takes when the scope ends.
   */
  suspend(): number {
    const base = this.#base
    if (this.#depth > base) {
      this.#settle()
      this.#base = this.#depth
    }
    return base
  }

  /** The scope `suspend` was called for ended: a load still in progress around it counts again. */
  resume(base: number): void {
    // `#base` never exceeds `#depth` (see `exit`): only a load still in progress around the scope raises anything.
    const outer = Math.min(base, this.#depth)
    if (outer >= this.#base) return
    this.#base = outer
    if (this.loading && this.#timing) this.#start()
  }

  #own(): number {
    return this.#tools.guard.blockedMs + this.#tools.guard.ownMs
  }

  #start(): void {
    this.#sinceWall = now()
    this.#sinceCpu = this.#tools.cpuMs()
    this.#ownSince = this.#own()
    this.#ownCpuSince = this.#tools.guard.ownCpuMs
  }

  #runningWall(): number {
    return Math.max(0, now() - this.#sinceWall - (this.#own() - this.#ownSince))
  }

  #runningCpu(): number {
    return Math.max(0, this.#tools.cpuMs() - this.#sinceCpu - (this.#tools.guard.ownCpuMs - this.#ownCpuSince))
  }

  /** Adds the loading in progress so far to the totals (it goes on from now, if it does). */
  #settle(): void {
    if (!this.#timing || !this.loading) return
    this.#wallMs += this.#runningWall()
    this.#cpuMs += this.#runningCpu()
    this.#start()
  }
}

/**
 * `Module._load`, wrapped to tell `clock` when a module loads. Keeps `this`, the arguments, the
 * result and what it throws (`name` and `length` through `keepShape`, by the caller).
 */
export function timedLoad(original: Function, clock: LoadingClock): (this: unknown, ...args: unknown[]) => unknown {
  return function load(this: unknown, ...args: unknown[]): unknown {
    clock.enter()
    try {
      return Reflect.apply(original, this, args) as unknown
    } finally {
      clock.exit()
    }
  }
}
