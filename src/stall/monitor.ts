import { isMainThread } from 'node:worker_threads'
import type { FindingIds } from '../accounting/findings.js'
import { type CompiledRule, findAllowingRule, isTestsStallInMachinery, userRules, verdictOf } from '../accounting/allow.js'
import type { Scope } from '../accounting/scope.js'
import { type Frame, PROBE_FRAMES, type TestRef } from '../model/finding.js'
import type { Verdict } from '../model/verdict.js'
import { watchesStalls } from '../model/options.js'
import { stallOperation } from '../model/operation.js'
import { clearRealInterval, now, setRealInterval } from '../runtime/clock.js'
import type { Guard } from '../runtime/guard.js'
import type { LoadingClock } from '../runtime/module-loading.js'
import { RecentCpu, ThreadClock } from '../runtime/thread-clock.js'
import type { RawStack, Stacks } from '../stack/capture.js'
import { firstPartyFrame, isInternal } from '../stack/frames.js'
import { sourceFrames } from '../stack/sourcemaps.js'
import { allowsAll, belowStackFormatter, innermostScopes, isModuleLoading, ownFrames, samePosition, stallFinding, type StallLength } from './attribution.js'
import type { Sampler } from './sampler.js'
import { type AgainWhy, PROBE_SOURCE, type ProbeEnd, type ProbeResult, type Watchdog } from './watchdog.js'

/**
 * Stall detection (docs/architecture.md, "stall"). A stall is a synchronous stretch of the event
 * loop longer than `stallMs` inside a scope. Two parts:
 *
 * - a heartbeat on this thread: an unref'd interval timer, running only while a scope that
 *   watches stalls is open. When it fires late by more than the threshold — in wall time and in
 *   this thread's CPU time, minus loopcop's own time — the loop was blocked. It costs nothing per
 *   `await` (unlike async_hooks-based detectors such as blocked-at), and it measures gaps itself
 *   (`monitorEventLoopDelay().reset()` would discard the running one).
 * - a watchdog worker, woken by the same threshold through shared memory. It has this thread
 *   evaluate a probe over the inspector, served by V8's interrupt on top of the stalled code: the
 *   probe records the running stack (source-mapped by the runner's `prepareStackTrace`) and the
 *   scope the stalled code belongs to. No debugger is enabled, so a stall costs the same whatever
 *   the number of loaded scripts. V8 serves the interrupt at the thread's next JS call, so a stall
 *   inside one long native call (a huge `JSON.parse`) shows the code right after it. A worker
 *   thread (Vitest `threads`) is reached through the main thread's inspector (watchdog-worker.mjs).
 * - in a worker thread the watchdog does not reach (the main thread's inspector does not know it,
 *   or the process was started to be debugged), the sampling profiler of `sampler.ts` gives the
 *   stack (tens of ms per stall); the scope is then the one open scope (or chain of nested ones).
 * Only a stack showing the user's code makes a stall a violation: one without a stack (the
 * inspector unavailable, the stall over before the probe ran) or that several concurrent tests
 * could own is reported as not judged, with the reason, and never fails a test.
 */

const STACK_LIMIT = 100

/** What `#check` takes when the watchdog left no probe (most checks: no array made for them). */
const NO_PROBES: readonly ProbeResult<Scope>[] = Object.freeze([])

/**
 * How recent a reading of this thread's CPU time must be to serve again, as a share of the
 * heartbeat's interval (see `#cpu`): half of it, 10 ms at the default `stallMs` of 100.
 */
const CPU_REUSE_SHARE = 0.5

/** How much longer than a stall's length its wall time must be to be shown beside it (see `#shown`), as a share of the length. */
const WALL_APART_SHARE = 0.2

interface Watched {
  readonly scope: Scope
  readonly stallMs: number
  /** What `LoadingClock.suspend` returned as the scope opened (`resume` takes it as it ends). */
  readonly loadingBase: number
  /** Where a detect() scope was opened: frames below it are not the scope's own code (read only on a stall). */
  readonly openedAt: RawStack | undefined
}

/** What the stall monitor needs of its detector. */
export interface StallTools {
  readonly guard: Guard
  /** This thread's CPU time (shared with the watchdog, which keeps the probe's own CPU apart). */
  readonly clock: ThreadClock
  /** Module loading on this thread, no stall unless a scope's `moduleLoading` says so (runtime/module-loading.ts). */
  readonly loading: LoadingClock
  readonly stacks: Stacks
  readonly ids: FindingIds
  readonly watchdog: Watchdog<Scope>
  readonly sampler: Sampler
  /** Runs `fn` outside every scope (the heartbeat timer must belong to none). */
  outside<T>(fn: () => T): T
  /** Reports loopcop's own failure. */
  internalError(error: unknown): void
}

/** The stall monitor of one detector: the heartbeat, the scopes it watches, and who a stall is charged to. */
export class StallMonitor {
  readonly #tools: StallTools
  readonly #watched = new Set<Watched>()
  readonly #byScope = new Map<Scope, Watched>()
  /**
   * Where scopes that ended were opened (`null`: not captured), for a stall they left running. Not
   * their `Watched` records: a weak map's value that holds its key keeps the key alive through the
   * young generation's collections (V8 frees such an entry only in a full one).
   */
  readonly #endedOpenedAt = new WeakMap<Scope, RawStack | null>()
  /**
   * Open scopes that do not watch stalls (`stallMs: 0`, `stallMode: 'off'`). Without a probe (the
   * sampler) a stall is charged to the innermost open scope: one of these may be it, and a stall
   * inside a `detect(fn, { stallMs: 0 })` is then nobody's, not its enclosing test's.
   */
  readonly #unwatchedOpen = new Set<Scope>()
  /** Open `allowBlocking(fn)` stretches: a stall without a stack during one is charged to no one. */
  readonly #allowedOpen = new Set<Scope>()
  #timer: ReturnType<typeof setInterval> | undefined
  /** Nothing more can start to read stalls' stacks here (see `#startStackSource`). */
  #sourcesSettled = false
  /** `prepare` started the watchdog and no scope has watched stalls since (see `release`). */
  #prepared = false
  #interval = 10
  // The baseline of the current gap (see #rebase).
  #lastBeat = 0
  /** loopcop's own time on this thread (wrapped calls, probes) at the last beat, in ms. */
  #ownAtLastBeat = 0
  /** loopcop's own CPU time on this thread outside wrapped calls (probes) at the last beat, in ms. */
  #ownCpuAtLastBeat = 0
  /** CPU time of this thread at the last beat, in ms (a reading that may be behind by `#cpuLagAtLastBeat`). */
  #cpuAtLastBeat = 0
  /** How far `#cpuAtLastBeat` may be behind this thread's CPU time at the last beat, in ms. */
  #cpuLagAtLastBeat = 0
  /** Module loading's wall and CPU time at the last beat, in ms. */
  #loadingAtLastBeat = 0
  #loadingCpuAtLastBeat = 0
  /**
   * This thread's CPU time. Each test's start and end settle the gap (`#check`), and reading the
   * clock is a system call (~8 µs a test's start or end on Node 24 in a real suite, ~20 µs from
   * `/proc` on Node 20: bench/README.md, "Thirty-ninth pass"). The CPU bound only decides a gap the
   * wall bound has let through: for any other gap a reading taken less than `CPU_REUSE_SHARE` of
   * the interval before serves, and the next gap's CPU bound leaves out how far it may be behind
   * (`#cpuLagAtLastBeat`), so a reused reading can only make a stall read shorter, never make one.
   */
  readonly #cpu: RecentCpu
  readonly #heartbeat = (): void => this.#onHeartbeat()

  constructor(tools: StallTools) {
    this.#tools = tools
    this.#cpu = new RecentCpu(tools.clock)
  }

  /** loopcop's own time on this thread so far: wrapped calls with their bookkeeping, and probes. */
  #ownMs(): number {
    const guard = this.#tools.guard
    return guard.blockedMs + guard.ownMs
  }

  #threshold(): number {
    let min = Infinity
    for (const w of this.#watched) if (w.stallMs < min) min = w.stallMs
    return min
  }

  /** How old (wall ms) a reading of this thread's CPU time may be to serve a gap the wall bound has ruled out. */
  #cpuReuseMs(): number {
    return this.#interval * CPU_REUSE_SHARE
  }

  /**
   * Starts the next gap now (`at`), leaving out everything before, loopcop's own work included;
   * `cpu` is this thread's CPU time then, as `#cpu` gave it for `at`.
   */
  #rebase(at = now(), cpu = this.#cpu.at(at, this.#cpuReuseMs())): void {
    this.#lastBeat = at
    this.#ownAtLastBeat = this.#ownMs()
    this.#ownCpuAtLastBeat = this.#tools.guard.ownCpuMs
    this.#cpuAtLastBeat = cpu
    this.#cpuLagAtLastBeat = this.#cpu.lag(at)
    this.#loadingAtLastBeat = this.#tools.loading.wallMs()
    this.#loadingCpuAtLastBeat = this.#tools.loading.cpuMs()
    this.#tools.watchdog.beat()
  }

  #rearm(): void {
    const t = this.#threshold()
    const watchdog = this.#tools.watchdog
    if (t === Infinity) {
      // Nothing to watch: the heartbeat disarms the watchdog and stops itself at its next beat,
      // unless a scope opens first. Tests back to back keep one timer running and the watchdog
      // armed: disarmed at each test's end, it was woken at the next one's start (a futex wake on
      // this thread, ~15 µs, and a turn of the watchdog's loop on its own: immer's 3,287 tests in
      // one file, ~50 ms of this thread's CPU in `arm` alone).
      if (this.#timer === undefined) watchdog.arm(Infinity)
      this.#tools.loading.timing = false
      return
    }
    this.#tools.loading.timing = true
    // What reads a stall's stack starts first (once a thread): starting it is loopcop's own work —
    // the sampler's `Profiler.start` walks the heap to log code, ~20–40 ms and over 100 with a large
    // code heap or a loaded machine — and a gap measured across it was reported as a stall of the
    // scope open then. So the gap starts after it: a new timer's baseline below, else a rebase
    // (`watch` and `unwatch` settled the gap just before).
    if (this.#startStackSource() && this.#timer !== undefined) this.#rebase()
    const wanted = Math.max(2, Math.min(25, Math.floor(t / 5)))
    if (this.#timer === undefined || wanted !== this.#interval) {
      if (this.#timer !== undefined) clearRealInterval(this.#timer)
      this.#interval = wanted
      this.#rebase()
      const timer = this.#tools.outside(() => setRealInterval(this.#heartbeat, wanted))
      timer.unref()
      this.#timer = timer
    }
    watchdog.arm(t)
  }

  /** Starts watching a scope for stalls (its `stallMs` > 0 and `stallMode` not `off`). */
  watch(scope: Scope): void {
    if (!watchesStalls(scope.settings)) {
      this.#unwatchedOpen.add(scope)
      return
    }
    if (this.#byScope.has(scope)) return
    this.#prepared = false
    // Only a detect() (or matcher) runs its code synchronously inside the call that opened it, on
    // top of whatever stack that was; a runner opens a test's scope and calls the test later.
    // Capturing costs (runners format stacks eagerly), so test scopes skip it.
    let openedAt: RawStack | undefined
    if (scope.kind === 'detect') {
      openedAt = {}
      const limit = Error.stackTraceLimit
      Error.stackTraceLimit = STACK_LIMIT
      // eslint-disable-next-line @typescript-eslint/unbound-method -- a marker of where to cut the stack, never called
      Error.captureStackTrace(openedAt, this.watch)
      Error.stackTraceLimit = limit
      // Its generated frames now, kept once a stall reads it mapped: a stall tells the scope's own
      // frames from these by identity (see #charge).
      this.#tools.stacks.rawFrames(openedAt)
    }
    // Settle the time since the last beat before this scope counts: a stall in it (the runner's
    // work before the test, say) belongs to the scopes open then, or to no one.
    if (this.#timer !== undefined) this.#check(now())
    // A scope opened inside a `require` (a detect() at a module's top level): that module's loading is the scope's own code.
    const w = { scope, stallMs: scope.settings.stallMs, openedAt, loadingBase: this.#tools.loading.suspend() }
    this.#watched.add(w)
    this.#byScope.set(scope, w)
    this.#rearm()
  }

  /** Stops watching a scope; a stall that ended just before is charged first. */
  unwatch(scope: Scope): void {
    if (this.#unwatchedOpen.has(scope)) {
      // A stall inside it is seen now, while it still counts as open (see #candidate).
      if (this.#timer !== undefined) this.#check(now())
      this.#unwatchedOpen.delete(scope)
      return
    }
    const w = this.#byScope.get(scope)
    if (w === undefined) return
    this.#check(now())
    this.#tools.loading.resume(w.loadingBase)
    this.#watched.delete(w)
    this.#byScope.delete(scope)
    // What `#openedAt` finds for an ended scope. A test's scope captured nothing and has no scope
    // around it, so an entry would answer what no entry answers: it gets none (an entry a test cost
    // a weak map's insertion and the garbage collector's work on it, ~0.3 µs a test).
    if (w.openedAt !== undefined || scope.parent !== undefined) this.#endedOpenedAt.set(scope, w.openedAt ?? null)
    this.#rearm()
  }

  /** An `allowBlocking(fn)` stretch started: a stall without a stack during it is charged to no one. */
  enterAllowed(scope: Scope): void {
    // Settle the time since the last beat first, as a scope that opens does: it is the code's
    // before the stretch. A gap that ran on into the stretch was one stall, told by its first
    // probe: one that landed before it (in the test's own code, or on a loaded machine after
    // 100 ms of wall time there) charged the stretch's allowed stall to the test (CI: Mocha's
    // and Vitest's `allowBlocking(fn)` fixtures, a 576 ms stall at the test's line).
    if (this.#timer !== undefined) this.#check(now())
    this.#allowedOpen.add(scope)
  }

  /** An `allowBlocking(fn)` stretch ended. */
  leaveAllowed(scope: Scope): void {
    // A stall inside the stretch is seen now, while the stretch still counts as open.
    if (this.#timer !== undefined) this.#check(now())
    this.#allowedOpen.delete(scope)
  }

  /**
   * Starts the watchdog ahead of the first test (its thread takes ~25–35 ms of CPU to start, and
   * under Vitest every test file is a fresh process or thread): the start then overlaps loading the
   * test file, not the first test, and a worker thread's watchdog has found its way before a test can
   * stall. Only the watchdog: the sampler (worker threads it cannot reach) still starts with the
   * first watched scope.
   */
  prepare(): void {
    this.#prepared = true
    this.#tools.watchdog.start()
  }

  /**
   * Stall detection is off after all (a `configure()` after `prepare`, before any scope watched
   * stalls): stops the watchdog `prepare` started. A scope that watches stalls later starts it again.
   */
  release(): void {
    if (!this.#prepared) return
    this.#prepared = false
    this.#tools.watchdog.stop()
  }

  /**
   * Whether stalls get a stack here: the watchdog can run (in a worker thread, unless it found no
   * way to it), or else the sampler (worker threads).
   */
  stacksAvailable(): boolean {
    return this.#stackSourceAvailable()
  }

  /**
   * Whether a stall's stack can be read here, starting what reads it: the watchdog, or in a worker
   * thread it has no way to, the sampler (tens of ms per stall read, so only there).
   */
  #stackSourceAvailable(): boolean {
    const watchdog = this.#tools.watchdog
    watchdog.start()
    if (watchdog.route !== 'unreachable') return true
    return !isMainThread && this.#tools.sampler.start()
  }

  /**
   * Starts what reads a stall's stack here (see `#stackSourceAvailable`); true when this call started
   * the watchdog or the sampler. On the main thread, once it has been asked, nothing more can
   * start (the watchdog starts once or never; the sampler is for worker threads): later calls, one
   * a test, return at once.
   */
  #startStackSource(): boolean {
    if (this.#sourcesSettled) return false
    const before = this.#runningSources()
    this.#stackSourceAvailable()
    if (isMainThread) this.#sourcesSettled = true
    return (this.#runningSources() & ~before) !== 0
  }

  /** Which of the watchdog (1) and the sampler (2) run in this thread. */
  #runningSources(): number {
    return (this.#tools.watchdog.running ? 1 : 0) | (this.#tools.sampler.running ? 2 : 0)
  }

  #onHeartbeat(): void {
    const watchdog = this.#tools.watchdog
    watchdog.inHeartbeat = true
    try {
      this.#check(now())
      if (this.#tools.sampler.refresh()) this.#rebase() // the restart is loopcop's time (see #check)
      if (this.#watched.size === 0 && this.#timer !== undefined) {
        watchdog.arm(Infinity)
        clearRealInterval(this.#timer)
        this.#timer = undefined
      }
    } catch (error) {
      this.#tools.internalError(error)
    } finally {
      watchdog.inHeartbeat = false
    }
  }

  /**
   * A module evaluation the loading clock does not time ended now, having taken `ms` of wall time
   * of its own: Vite's module runner, whose evaluation is asynchronous (a module's top-level code
   * runs once its own imports have loaded), so no depth can be counted around it as around
   * `Module._load`. The gap so far ends here, as at a beat, with the evaluation left out of what a
   * scope that does not count module loading is charged; the next gap, the code that runs after
   * the module has loaded (a test resuming from its `await import()`), starts now, and the watchdog
   * looks at it afresh. Before, a watchdog that looked only after the evaluation (short of CPU)
   * charged the test the loading too (CI: a 150 ms module before 300 ms of the test's own work was
   * a 588 ms stall at the import's line), and one that found the test's code before the import
   * charged it everything after (Vitest 5 `threads`, whose module runner answers within one beat:
   * 515 ms at the line before the import).
   */
  evaluated(ms: number): void {
    if (this.#timer === undefined || this.#watched.size === 0) return
    // As in a beat: a probe served while this runs reads loopcop's own code, and answers so.
    const watchdog = this.#tools.watchdog
    watchdog.inHeartbeat = true
    try {
      this.#check(now(), ms)
    } finally {
      watchdog.inHeartbeat = false
    }
  }

  /**
   * Looks at the time since the last beat; a gap over a watched threshold is a stall. `untimedMs`:
   * module loading in it that the loading clock did not time (`evaluated`), at most.
   */
  #check(at: number, untimedMs = 0): void {
    const { watchdog } = this.#tools
    const gap = at - this.#lastBeat
    const own = this.#ownMs() - this.#ownAtLastBeat
    const ownCpu = this.#tools.guard.ownCpuMs - this.#ownCpuAtLastBeat
    const threshold = this.#threshold()
    const wallBound = gap - this.#interval - own
    // A gap the wall bound rules out needs no CPU time of its own: a recent reading serves, as the
    // next gap's start (see `#cpu`). One it lets through is read now.
    const cpu = this.#cpu.at(at, wallBound < threshold ? this.#cpuReuseMs() : 0)
    // The CPU time since the last beat, at least: its reading may have been behind by its lag.
    const busy = cpu - this.#cpuAtLastBeat - this.#cpuLagAtLastBeat
    const loadingWall = this.#tools.loading.wallMs() - this.#loadingAtLastBeat
    const loadingCpu = this.#tools.loading.cpuMs() - this.#loadingCpuAtLastBeat
    this.#rebase(at, cpu)
    // The beat cannot fire during a stall, so the stall lasted between gap − interval and gap.
    // Time inside wrapped calls is already a sync-io finding, and loopcop's own work (the stack
    // captures around them, the probe) is loopcop's: neither is counted again.
    const wall = gap - this.#interval / 2 - own
    // A stall is work the code did without yielding, so it is also bounded by the CPU time this
    // thread spent: on a machine short of CPU (a busy CI box, parallel workers) a beat is late
    // without the code doing anything, and a 200 ms loop may take a second of wall time. Counting
    // this thread's CPU keeps both from turning into false or inflated stalls; the process's
    // would count the watchdog, the GC's helpers and other workers' tests.
    // Each bound loses loopcop's time on its own clock: the wall bound its wall time (wrapped calls
    // with their bookkeeping, probes), the CPU bound the probes' CPU time. (A wrapped call's CPU
    // stays in the CPU bound: the wall bound already leaves the call out, and the smaller wins.)
    const stall = Math.min(wall, busy - ownCpu)
    // The same without module loading, on each clock: what a scope that does not count module loading is charged.
    // An untimed evaluation's wall time also bounds its CPU time: left out of both (on a machine
    // short of CPU that leaves out more than it took, which only shortens a stall).
    const untimed = Math.min(Math.max(0, untimedMs), gap)
    const withoutLoading = Math.min(wall - loadingWall - untimed, busy - ownCpu - loadingCpu - untimed)
    const taken = watchdog.probes.length === 0 ? NO_PROBES : watchdog.probes.splice(0)
    const againIn = watchdog.takeAgainScope()
    const seen = watchdog.takeLoadingSeen()
    const againWhy = watchdog.takeAgainWhy()
    if (Math.min(wallBound, busy - ownCpu) < threshold) return
    const probeResult = this.#chosenProbe(taken, seen)
    // No way for the watchdog to this worker thread: the in-thread sampler saw what ran during the gap.
    const sampled = probeResult === undefined && this.#tools.sampler.running ? this.#tools.sampler.sampledStack(at - gap, at) : undefined
    let scopes: StallLength = { ms: withoutLoading, wallMs: wall - loadingWall - untimed }
    // A probe found a module loading the clock does not time, and a later one the code that ran
    // next: what ran before that probe may all have been the loading, so only what ran after it
    // is surely the scope's own (short of it by the watchdog's wait between the two, at most half
    // the threshold when it is not starved of CPU).
    if (seen && probeResult !== undefined) scopes = after(scopes, probeResult.after, at, cpu, this.#ownMs(), this.#tools.guard.ownCpuMs)
    this.#charge({ ms: stall, wallMs: wall }, scopes, probeResult, sampled, againIn, seen, againWhy)
    // Reading the sampler (stop, read, restart) takes tens of ms, and with a large heap well over
    // the threshold (V8 walks the heap to log code on Profiler.start): loopcop's time, not the
    // next gap's, or it becomes a false stall of whatever scope is open then.
    this.#rebase()
  }

  /**
   * The probe a stall is told by: the first that found a scope, or, when the watchdog probed a long
   * stall more than once (at 1, 2, 4… thresholds late: watchdog-worker.mjs, `reprobeAt`), the first
   * of those whose stack shows the user's code. A package's timer callback and then the test's own
   * loop in the same turn of the loop are one stall; told by its first probe alone, it went unjudged
   * "in the package", and the test's loop was never named (unstorage). After a probe that found a
   * module loading (`seen`), the first one is kept: the stall is what ran after it (see `after`).
   */
  #chosenProbe(taken: readonly ProbeResult<Scope>[], seen: boolean): ProbeResult<Scope> | undefined {
    const first = taken.find((p) => p.scope !== undefined) ?? taken[0]
    if (seen || taken.length < 2 || first?.scope === undefined) return first
    for (const p of taken) {
      // The first scope's own probes only. A scope's opening and end, and an `allowBlocking(fn)`'s,
      // settle the gap, so a later probe of another scope is code of a test running beside it.
      if (p.scope !== first.scope) continue
      if (firstPartyFrame(this.#probedOwnFrames(this.#probeStack(p.raw), this.#openedAt(p.scope))) !== undefined) return p
    }
    return first
  }

  /** The open scopes a stall without a probe may be charged to (see `innermostScopes`). */
  #candidates(): Scope[] {
    const open = [...[...this.#watched].map((w) => w.scope), ...this.#allowedOpen, ...this.#unwatchedOpen].filter((s) => !s.ended)
    return innermostScopes(open)
  }

  /** Why a stall has no stack, when it has none. */
  #noStackReason(probeResult: ProbeResult<Scope> | undefined): string {
    const { watchdog, sampler } = this.#tools
    if (sampler.running) return 'the sampling profiler saw no JavaScript running during the stall'
    if (!watchdog.running) return 'the inspector is unavailable (a debugger attached, or Node without it): stalls have no stack'
    if (watchdog.route === 'connecting') return isMainThread ? "the watchdog's thread was still starting (a stall in a test file's first moments, on a busy machine)" : "the watchdog was still finding its way to this worker thread through the main thread's inspector"
    if (watchdog.route === 'unreachable') return isMainThread ? 'the watchdog could not connect to the inspector' : "the main thread's inspector does not reach this worker thread, and the sampling profiler is unavailable (a debugger or V8 coverage holds it)"
    return probeResult === undefined ? 'the stall ended before the watchdog looked' : 'the stall ended before the probe could read its stack'
  }

  /**
   * Charges a stall of `stalled` (`withoutLoading`: the same with module loading left out), each its
   * length and its wall time, to the scope the probe found, or to the open scopes.
   */
  #charge(stalled: StallLength, withoutLoading: StallLength, probeResult: ProbeResult<Scope> | undefined, sampled?: Frame[], againIn?: Scope, loadingSeen = false, againWhy?: AgainWhy): void {
    const stacks = this.#tools.stacks
    // Whose code the stall ran, and whether it was a module loading, is told at generated
    // positions; only a stall that is reported has its frames source-mapped (the runner's
    // formatter costs ~0.25 ms a new position, and a probe reads up to a hundred).
    const stack = probeResult !== undefined ? this.#probeStack(probeResult.raw) : belowStackFormatter(stacks.withoutOwnFrames(sampled ?? []))
    let scope = probeResult?.scope
    let candidates: Scope[] = []
    // The probe ran in code outside every scope: the runner's own, code a native addon called back
    // without an async context (tsdown: rolldown's plugin hooks), or what ran after the stalled code
    // had ended (a watchdog starved of CPU on a loaded machine). Then the stalled code is unknown:
    // the stall is charged to the open scopes, if any, without a stack.
    const late = probeResult !== undefined && scope === undefined && stack.length > 0
    // A probe landed in a module's loading (or a blocking call) and the stall ended before the next
    // one could look (a watchdog short of CPU): its scope still owns the stall, though no stack
    // shows it. Before, once its test had ended, such a stall was dropped without a word.
    const fromAgain = scope === undefined && againIn !== undefined && (late || stack.length === 0)
    // The last look found a module loading the clock does not time, and none came after it: the
    // rest may have been that loading too, which is no stall (as before such a probe looked again).
    if (fromAgain && loadingSeen && !againIn.settings.moduleLoading) return
    if (fromAgain) scope = againIn
    if (scope === undefined) {
      candidates = this.#candidates()
      scope = candidates[0]
    }
    // `allowsAll`, not `quiet`: a scope under `mode: 'off'` (blocking calls not checked) is quiet,
    // yet its stalls are still reported as its `stallMode` says.
    if (scope === undefined || candidates.some(allowsAll) || allowsAll(scope)) return
    const settings = scope.settings
    const length = settings.moduleLoading ? stalled : withoutLoading
    const ms = length.ms
    if (ms < settings.stallMs || settings.stallMode === 'off' || settings.stallMs <= 0) return
    // The frames of a detect() scope's caller (`openedAt`) are not the scope's own: told apart by
    // position (one frame object a position) at generated positions, by file, line and column mapped.
    const opened = this.#openedAt(scope)
    const generated = late ? [] : probeResult === undefined ? ownFrames(stack, opened === undefined ? undefined : stacks.read(opened)) : this.#probedOwnFrames(stack, opened)
    let mapped: Frame[] | undefined
    const sourceFramesOf = (): Frame[] => {
      if (mapped !== undefined) return mapped
      if (late || probeResult === undefined) return (mapped = generated)
      return (mapped = ownFrames(this.#probeSourceFrames(probeResult), opened === undefined ? undefined : stacks.read(opened)))
    }
    const judge = (rules: readonly CompiledRule[]): Verdict => verdictOf(findAllowingRule(rules, { operation: stallOperation, arg: undefined, frames: sourceFramesOf, rawFrames: () => generated }))
    let verdict = judge(settings.rules)
    // Inside machinery the test's own code called (`expect`'s `toEqual` of a big array), the stall
    // is the test's: judged by the user's rules, as a stall in its own code is, not dropped as the machinery's.
    if (verdict.kind === 'allowed' && verdict.builtin) {
      if (!isTestsStallInMachinery(verdict, firstPartyFrame(generated) !== undefined)) return
      verdict = judge(userRules(settings.rules))
    }
    if (verdict.kind === 'violation' && !settings.moduleLoading && generated.some(isModuleLoading)) return
    // A late probe's frames judge nothing (they may be code that ran after the stall), but are shown
    // as what it found: in tsdown's rolldown hooks, TypeScript parsing, the clue a user has.
    const frames = late ? this.#probeSourceFrames(probeResult) : sourceFramesOf()
    // The probe read as many frames as it reads: the stack went on below them (rollup's test parsing
    // es6-shim with acorn: its own frames only, its caller further down).
    // Counted in call sites, not in the frames kept: ajv's validators, made by `new Function`, have
    // no file, and a stack deep in them was said to hold "only Node's or dependencies'" frames (copy-webpack-plugin).
    const cut = !late && probeResult !== undefined && stacks.filled(probeResult.raw, PROBE_FRAMES)
    // Only a stack showing the code that stalled can make a stall the user's: without one (or with
    // several tests that could own it) it is reported, with why, and never fails a test.
    let unjudged: string | undefined
    let testRefs: TestRef[] | undefined
    if (fromAgain) unjudged = `the probe landed ${loadingSeen || againWhy === undefined ? "in a module's loading or a blocking call" : againWhy === 'between' ? "in Node's own code between two callbacks" : 'in the runner formatting a stack (its source-map support)'}, and the stall had ended before it could look again`
    else if (late) unjudged = "the probe found code running outside every test's context: a callback a native addon ran without it (a bundler's plugin hook), the runner's own code, or code that ran after the stall ended; which of them stalled cannot be told, and the frames shown are what the probe found running"
    else if (frames.length === 0) unjudged = this.#noStackReason(probeResult)
    else if (firstPartyFrame(frames) === undefined) unjudged = cut ? `no frame of the user's code in the first ${PROBE_FRAMES} frames of the stack, which went on below them (a deep recursion in a dependency, a parser's)` : "no frame of the user's code on the stack (only Node's or dependencies')"
    if (candidates.length > 1) {
      testRefs = candidates.flatMap((c) => (c.test === undefined ? [] : [c.test]))
      unjudged = `${candidates.length} tests were running concurrently and any of them could own it${unjudged === undefined ? '' : `; ${unjudged}`}`
    }
    const finding = stallFinding(this.#tools.ids.next(), this.#shown(length), settings.stallMs, frames, scope, verdict, unjudged, testRefs, cut)
    if (scope.ended) scope.leak({ ...finding, leak: true })
    else scope.extra.push(finding)
  }

  /**
   * The length as reported: its wall time kept only when markedly longer — by more than the wall
   * estimate's own uncertainty (a heartbeat's interval) and by a fifth — so that a stall's length,
   * its thread's CPU time on a machine short of CPU, is not read as the time the test waited.
   */
  #shown(length: StallLength): StallLength {
    const { ms, wallMs } = length
    return wallMs !== undefined && wallMs - ms > Math.max(this.#interval, ms * WALL_APART_SHARE) ? length : { ms }
  }

  /**
   * Whether a probe's stack, captured in `scope`, shows a module loading that the loading clock
   * does not time (`isModuleLoading` among the scope's own frames, below any stack formatter) and
   * the scope does not count module loading as a stall: the watchdog then looks again.
   */
  loadingOnStack(raw: RawStack, scope: Scope | undefined): boolean {
    if (scope === undefined || scope.settings.moduleLoading) return false
    return this.#probedOwnFrames(this.#probeStack(raw), this.#openedAt(scope)).some(isModuleLoading)
  }

  /** Whether a probe's stack shows Node's own code only (see `WatchdogTools.betweenCallbacks`). */
  betweenCallbacks(raw: RawStack): boolean {
    const frames = this.#probeStack(raw)
    return frames.length > 0 && frames.every((f) => f.unparsed !== true && isInternal(f.file))
  }

  /** A probe's frames at source positions, its own left out, below any stack formatter. */
  #probeSourceFrames(probeResult: ProbeResult<Scope>): readonly Frame[] {
    // V8's own text of a stack the probe read inside a formatter is at generated positions: mapped here.
    const read = this.#tools.stacks.read(probeResult.raw).filter(notProbe)
    return belowStackFormatter(probeResult.unmapped ? sourceFrames(read, this.#tools.guard) : read)
  }

  /** A probe's frames at generated positions, its own left out, below any stack formatter. */
  #probeStack(raw: RawStack): readonly Frame[] {
    return belowStackFormatter(this.#tools.stacks.rawFrames(raw).filter(notProbe))
  }

  /** Of a probe's frames (`#probeStack`), the scope's own: those above where it was `opened`, told apart by position. */
  #probedOwnFrames(stack: readonly Frame[], opened: RawStack | undefined): Frame[] {
    return ownFrames(stack, opened === undefined ? undefined : this.#tools.stacks.rawFrames(opened), samePosition)
  }

  /** Where the scope (or the nearest watched one around it) was opened, when captured. */
  #openedAt(scope: Scope): RawStack | undefined {
    for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) {
      const w = this.#byScope.get(s)
      if (w !== undefined) return w.openedAt
      const ended = this.#endedOpenedAt.get(s)
      if (ended !== undefined) return ended ?? undefined
    }
    return undefined
  }
}

/**
 * A stall's length (`length`: module loading the clock timed left out) bounded by what ran after a
 * probe ended (`end`), at `at`, with the thread's CPU time then `cpu` and loopcop's own time so
 * far (`ownMs` wall, with the wrapped calls', `ownCpuMs`).
 */
function after(length: StallLength, end: ProbeEnd, at: number, cpu: number, ownMs: number, ownCpuMs: number): StallLength {
  const wallMs = at - end.at - (ownMs - end.ownMs)
  const ms = Math.min(length.ms, wallMs, cpu - end.cpuMs - (ownCpuMs - end.ownCpuMs))
  return { ms, wallMs: Math.min(length.wallMs ?? wallMs, wallMs) }
}

/** Not the probe's own frame. */
function notProbe(frame: Frame): boolean {
  return frame.file !== PROBE_SOURCE
}
