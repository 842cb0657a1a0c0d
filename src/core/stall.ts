import { clearRealInterval, now, setRealInterval } from './clock.js'
import { isMainThread } from 'node:worker_threads'
import { als, guard } from './context.js'
import { type CallView, findAllowingRule } from './allow.js'
import type { Finding, StallFinding } from './findings.js'
import { newFindingId } from './findings.js'
import { reportInternalError } from './notify.js'
import type { Operation } from './operations.js'
import type { Scope } from './scope.js'
import { refreshSampler, sampledStack, startSampler } from './sampler.js'
import { type Frame, type RawStack, firstPartyFrame, offenderFrame, packageOf, readStack, withoutOwnFrames } from './stack.js'
import { type ProbeResult, armWatchdog, beat, pausedMs, probeState, probes, startWatchdog, watchdogRunning } from './watchdog.js'

/**
 * Stall detection. A stall is a synchronous stretch of the event loop longer than `stallMs`
 * inside a scope. Two parts:
 *
 * - a heartbeat on this thread: an unref'd interval timer, running only while a scope that
 *   watches stalls is open. When it fires late by more than the threshold, the loop was blocked.
 *   It costs nothing per `await` (unlike async_hooks-based detectors such as blocked-at), and
 *   it measures gaps itself (`monitorEventLoopDelay().reset()` would discard the running one).
 * - a watchdog worker (main thread only), woken by the same threshold through shared memory. It
 *   pauses the main thread mid-stall over the inspector (`connectToMainThread` + `Debugger.pause`)
 *   and evaluates a probe there that records the running stack (source-mapped by the runner's
 *   `prepareStackTrace`) and the scope the stalled code belongs to. `Debugger.enable` costs tens of
 *   ms and slows async code while on, so it is enabled only once a stall is already caught, and
 *   that time is subtracted from the stall. V8 serves the pause at the thread's next JS call, so
 *   a stall inside one long native call (a huge `JSON.parse`) shows the code right after it.
 * - in worker threads (Vitest `threads`), which the watchdog cannot pause, the sampling profiler of
 *   `sampler.ts` gives the stack; the scope is then the one open scope (or chain of nested ones).
 * With a debugger attached or no inspector, stalls are reported without a stack, never an error.
 * Measured (Node 20, 2 cores): the watchdog costs nothing until a stall; a continuously running
 * sampler costs nothing measurable at 5 ms but ~10 ms per start/stop pair — hence the watchdog on
 * the main thread, where it also knows the exact scope (the probe reads the stalled code's
 * AsyncLocalStorage store), even under `describe.concurrent`.
 */

/** The pseudo-operation allow rules see for a stall: `allow: ['stall']` allows every stall. */
export const stallOperation: Operation = Object.freeze({ id: 'stall', category: 'user', hint: 'split the work (await between chunks), or move it to a worker thread', arg: 'none' })

const STACK_LIMIT = 100

interface Watched {
  readonly scope: Scope
  readonly stallMs: number
  /** Where a detect() scope was opened: frames below it are not the scope's own code (read only on a stall). */
  readonly openedAt: RawStack | undefined
}

const watched = new Set<Watched>()
const byScope = new Map<Scope, Watched>()
/** Watched records of scopes that ended (a stall they left running is still charged to them). */
const lastWatched = new WeakMap<Scope, Watched>()
let timer: ReturnType<typeof setInterval> | undefined
let interval = 10
let lastBeat = 0
let blockedAtLastBeat = 0
/** CPU time of the process at the last beat, in ms. */
let cpuAtLastBeat = 0

function cpuMs(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
let pausedAtLastBeat = 0

function threshold(): number {
  let min = Infinity
  for (const w of watched) if (w.stallMs < min) min = w.stallMs
  return min
}

function rearm(): void {
  const t = threshold()
  if (t === Infinity) {
    // Nothing to watch: disarm the watchdog now; the heartbeat stops itself at its next beat
    // unless a scope opens first (tests back to back keep one timer running).
    armWatchdog(Infinity)
    return
  }
  const wanted = Math.max(2, Math.min(25, Math.floor(t / 5)))
  if (timer === undefined || wanted !== interval) {
    if (timer !== undefined) clearRealInterval(timer)
    interval = wanted
    lastBeat = now()
    blockedAtLastBeat = guard.blockedMs
    cpuAtLastBeat = cpuMs()
    pausedAtLastBeat = pausedMs()
    timer = als.exit(() => setRealInterval(heartbeat, interval))
    timer.unref()
  }
  if (isMainThread) startWatchdog()
  else startSampler()
  armWatchdog(t)
}

/**
 * Open scopes that do not watch stalls (`stallMs: 0`, `stallMode: 'off'`). Without a probe (worker
 * threads) a stall is charged to the innermost open scope: one of these may be it, and a stall
 * inside a `detect(fn, { stallMs: 0 })` is then nobody's, not its enclosing test's.
 */
const unwatchedOpen = new Set<Scope>()

/** Starts watching a scope for stalls (its `stallMs` > 0 and `stallMode` not `off`). */
export function watchScope(scope: Scope): void {
  const s = scope.settings
  if (s.stallMs <= 0 || s.stallMode === 'off') {
    unwatchedOpen.add(scope)
    return
  }
  if (byScope.has(scope)) return
  // Only a detect() (or matcher) runs its code synchronously inside the call that opened it, on
  // top of whatever stack that was; a runner opens a test's scope and calls the test later.
  // Capturing costs (runners format stacks eagerly), so test scopes skip it.
  let openedAt: RawStack | undefined
  if (scope.kind === 'detect') {
    openedAt = {}
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = STACK_LIMIT
    Error.captureStackTrace(openedAt, watchScope)
    Error.stackTraceLimit = limit
  }
  // Settle the time since the last beat before this scope counts: a stall in it (the runner's
  // work before the test, say) belongs to the scopes open then, or to no one.
  if (timer !== undefined) check(now())
  const w = { scope, stallMs: s.stallMs, openedAt }
  watched.add(w)
  byScope.set(scope, w)
  rearm()
}

/** Stops watching a scope; a stall that ended just before is charged first. */
export function unwatchScope(scope: Scope): void {
  if (unwatchedOpen.has(scope)) {
    // A stall inside it is seen now, while it still counts as open (see candidates).
    if (timer !== undefined) check(now())
    unwatchedOpen.delete(scope)
    return
  }
  const w = byScope.get(scope)
  if (w === undefined) return
  check(now())
  watched.delete(w)
  byScope.delete(scope)
  lastWatched.set(scope, w)
  rearm()
}

function heartbeat(): void {
  probeState.inHeartbeat = true
  try {
    check(now())
    if (refreshSampler()) rebase() // the restart is loopcop's time (see check)
    if (watched.size === 0 && timer !== undefined) {
      clearRealInterval(timer)
      timer = undefined
    }
  } catch (error) {
    reportInternalError(error)
  } finally {
    probeState.inHeartbeat = false
  }
}

/** Looks at the time since the last beat; a gap over a watched threshold is a stall. */
function check(now: number): void {
  const gap = now - lastBeat
  const wrapped = guard.blockedMs - blockedAtLastBeat
  const paused = pausedMs() - pausedAtLastBeat
  const cpu = cpuMs()
  const busy = cpu - cpuAtLastBeat
  lastBeat = now
  blockedAtLastBeat = guard.blockedMs
  pausedAtLastBeat = pausedMs()
  cpuAtLastBeat = cpu
  beat()
  // The beat cannot fire during a stall, so the stall lasted between gap − interval and gap.
  // Time inside wrapped calls is already a sync-io finding, and time the watchdog held the
  // thread paused is loopcop's: neither is counted again.
  const wall = gap - interval / 2 - wrapped - paused
  // A stall is work the code did without yielding, so it is also bounded by the CPU time spent:
  // on a machine short of CPU (a busy CI box, parallel workers) a beat is late without the code
  // doing anything, and a 200 ms loop may take a second of wall time. Counting the CPU keeps
  // both from turning into false or inflated stalls. (Process CPU: other threads add a little.)
  const stall = Math.min(wall, busy - wrapped)
  const taken = probes.splice(0)
  if (Math.min(gap - interval - wrapped - paused, busy - wrapped) < threshold()) return
  const probeResult = taken.find((p) => p.scope !== undefined) ?? taken[0]
  // No watchdog in a worker thread: the in-thread sampler saw what ran during the gap.
  const sampled = probeResult === undefined && !isMainThread ? sampledStack(now - gap, now) : undefined
  charge(stall, probeResult, sampled)
  // Reading the sampler (stop, read, restart) takes tens of ms, and with a large heap well over
  // the threshold (V8 walks the heap to log code on Profiler.start): loopcop's time, not the
  // next gap's, or it becomes a false stall of whatever scope is open then.
  rebase()
}

/** Starts the next gap now, leaving out loopcop's own work since the last beat. */
function rebase(): void {
  lastBeat = now()
  blockedAtLastBeat = guard.blockedMs
  pausedAtLastBeat = pausedMs()
  cpuAtLastBeat = cpuMs()
  beat()
}

const allowedOpen = new Set<Scope>()

/** An `allowBlocking(fn)` stretch started: a stall without a stack during it is charged to no one. */
export function enterAllowed(scope: Scope): void {
  allowedOpen.add(scope)
}

/** An `allowBlocking(fn)` stretch ended. */
export function leaveAllowed(scope: Scope): void {
  // A stall inside the stretch is seen now, while the stretch still counts as open.
  if (timer !== undefined) check(now())
  allowedOpen.delete(scope)
  // An allow scope has no end() (it reports nothing); marking it ended routes later leaks past it.
  scope.ended = true
}

function candidates(): Scope[] {
  const open = [...[...watched].map((w) => w.scope), ...allowedOpen, ...unwatchedOpen].filter((s) => !s.ended)
  // Without a probe, the stall is charged only when the open scopes form one chain (serial
  // tests, a detect() inside a test): the innermost is the one running. Concurrent unrelated
  // scopes make the culprit unknowable, and a wrong charge is worse than none.
  const innermost = open.filter((s) => !open.some((o) => o !== s && isAncestor(s, o)))
  return innermost.length === 1 ? innermost : []
}

function isAncestor(a: Scope, b: Scope): boolean {
  for (let p = b.parent; p !== undefined; p = p.parent) if (p === a) return true
  return false
}

function charge(ms: number, probeResult: ProbeResult | undefined, sampled?: Frame[]): void {
  let scope = probeResult?.scope
  if (scope === undefined) {
    if (probeResult !== undefined && hasFrames(probeResult)) return // the runner's own code was running
    scope = candidates()[0]
  }
  // `allowsAll`, not `quiet`: a scope under `mode: 'off'` (blocking calls not checked) is quiet,
  // yet its stalls are still reported as its `stallMode` says.
  if (scope === undefined) return
  for (let p: Scope | undefined = scope; p !== undefined; p = p.parent) if (p.allowsAll) return
  const settings = scope.settings
  if (ms < settings.stallMs || settings.stallMode === 'off' || settings.stallMs <= 0) return
  const stalled = probeResult !== undefined ? readStack(probeResult.raw).filter((f) => !f.file.startsWith('eval') && f.fn !== 'eval') : withoutOwnFrames(sampled ?? [])
  const frames = ownFrames(stalled, scope)
  const view: CallView = { operation: stallOperation, arg: undefined, frames: () => frames }
  const rule = findAllowingRule(settings.rules, view)
  if (rule !== undefined && rule.label.startsWith('built-in: ')) return
  if (rule === undefined && !settings.moduleLoading && frames.some(isModuleLoading)) return
  const finding = makeStall(ms, settings.stallMs, frames, scope, rule?.label)
  if (scope.ended) scope.leak({ ...finding, leak: true })
  else scope.extra.push(finding)
}

/**
 * The stalled frames that are the scope's own: when the stall runs synchronously inside the call
 * that opened the scope (a `detect()` at a module's top level), the frames below the opening call
 * (the module loader running that module, say) are the caller's, not the scope's.
 */
function ownFrames(frames: Frame[], scope: Scope): Frame[] {
  let w: Watched | undefined
  for (let s: Scope | undefined = scope; s !== undefined && w === undefined; s = s.parent) w = byScope.get(s) ?? lastWatched.get(s)
  if (w?.openedAt === undefined) return frames
  const outer = readStack(w.openedAt)
  let i = frames.length - 1
  let j = outer.length - 1
  while (i >= 0 && j >= 0 && sameFrame(frames[i] as Frame, outer[j] as Frame)) {
    i--
    j--
  }
  // Keep the frame that called into the scope (same function, another line) as the scope's own.
  return j < outer.length - 1 ? frames.slice(0, i + 1) : frames
}

function sameFrame(a: Frame, b: Frame): boolean {
  return a.file === b.file && a.line === b.line && a.column === b.column && a.fn === b.fn
}

function hasFrames(p: ProbeResult): boolean {
  return readStack(p.raw).length > 0
}

/**
 * Packages whose frames mean a module is being loaded. Not `vitest`/`@vitest/*` or
 * `jest-circus`: their frames sit under every test function, loading or not.
 */
const LOADER_PACKAGES = new Set(['vite', 'vite-node', 'jest-runtime', '@jest/transform', 'tsx', 'ts-node', '@babel/register', 'pirates'])

/** A frame of a module loader: the stall is the evaluation or compilation of a module. */
function isModuleLoading(f: Frame): boolean {
  if (f.file.startsWith('node:internal/modules/')) return true
  const pkg = packageOf(f.file)
  return pkg !== undefined && LOADER_PACKAGES.has(pkg)
}

function makeStall(ms: number, thresholdMs: number, frames: readonly Frame[], scope: Scope, allowedBy: string | undefined): StallFinding {
  const own = firstPartyFrame(frames) ?? frames[0]
  const offender = offenderFrame(frames)
  const pkg = offender === undefined ? undefined : packageOf(offender.file)
  const rounded = Math.round(ms * 10) / 10
  return {
    kind: 'stall',
    id: newFindingId(),
    thresholdMs,
    durationMs: rounded,
    maxMs: rounded,
    calls: 1,
    allowed: allowedBy !== undefined,
    ...(allowedBy !== undefined && { allowedBy }),
    leak: false,
    ...(scope.test !== undefined && { test: scope.test }),
    ...(own !== undefined && { location: { file: own.file, line: own.line, column: own.column } }),
    ...(offender !== undefined && pkg !== undefined && { offender: { file: offender.file, line: offender.line, column: offender.column, package: pkg } }),
    frames,
    mode: scope.settings.stallMode,
  }
}

/** Whether stalls get a stack here: the watchdog (main thread) or the sampler (worker threads) can run. */
export function stallStacksAvailable(): boolean {
  if (!isMainThread) return startSampler()
  startWatchdog()
  return watchdogRunning()
}

export type { Finding }
