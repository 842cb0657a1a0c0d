// The stall watchdog, watched-thread side (docs/architecture.md, "stall"): the memory it shares
// with the process's watchdog worker (watchdog-worker.mjs), how a thread gets watched by it, and
// the probe the worker evaluates in the stalled thread.
import { readFileSync } from 'node:fs'
import inspector from 'node:inspector'
import { join } from 'node:path'
import { BroadcastChannel, Worker, type WorkerOptions, isMainThread, threadId } from 'node:worker_threads'
import { monotonicNow, now } from '../runtime/clock.js'
import { nodeFlags } from '../runtime/node-flags.js'
import { type Guard, IN_CALL, LAST_BEAT, RUNNER_WORK_MS } from '../runtime/guard.js'
import { PROBE_FRAMES } from '../model/finding.js'
import type { RawStack, Stacks } from '../stack/capture.js'

/**
 * The stall watchdog: a worker thread, one per process, that, once this thread's heartbeat is late
 * by more than the threshold, has this thread evaluate a probe over the inspector (`Runtime.evaluate`). Node
 * delivers the request through V8's interrupt, served at the stalled code's next function call or
 * loop back-edge, so the probe runs on top of the stalled stack: it records that stack (through
 * the runner's `Error.prepareStackTrace`, so source-mapped) and the AsyncLocalStorage store of the
 * stalled code, the scope the stall belongs to. No debugger is enabled: `Debugger.enable` reports
 * every loaded script to the session (675 ms with 20,000) and slows async code while on
 * (bench/README.md, "catching a stall's stack"). The probe's own time is added to the guard's
 * `ownMs`, so it is never counted as the stall's. Starting the worker costs ~20–35 ms of CPU, mostly
 * on its own thread (Node's floor for starting a thread, bench/README.md), so a process starts one:
 * the main thread keeps it, and every thread that runs loopcop registers with it (see `start`);
 * Vitest's `threads` pool, a worker thread per test file, pays the start once per run. While no
 * scope is open it sleeps on `Atomics.waitAsync`.
 *
 * The worker reaches the main thread with `connectToMainThread()`, and a worker thread (Vitest's
 * `threads` pool) through the main thread's `NodeWorker` domain, which relays the probe to it
 * (watchdog-worker.mjs). Whether that way exists is known only once the worker has asked the main
 * thread (`route`); where it does not, the stall monitor reads stacks with its sampler instead.
 */

const PROBE_KEY = Symbol.for('loopcop.stallProbe')
/** The name of the script the worker has evaluated (its `sourceURL`): its frame is the probe's, not the stalled code's. */
export const PROBE_SOURCE = 'loopcop:stall-probe'

/** Where the worker is, relative to the root of loopcop's code (a build folder, or the sources). */
const WORKER_FILE = join('src', 'stall', 'watchdog-worker.mjs')

/** What the probe saw while the thread was paused mid-stall. */
export interface ProbeResult<S> {
  readonly scope: S | undefined
  readonly raw: RawStack
  readonly at: number
  /**
   * The stack came as V8's own text, at generated positions: the probe was served while a stack
   * formatter ran (code that reads `new Error().stack` in a loop: Svelte's dev mode), and V8 does
   * not call a formatter from inside one.
   */
  readonly unmapped: boolean
  /** Where the probe ended (after a probe found a module loading, what ran after this one is the scope's). */
  readonly after: ProbeEnd
}

/** What the watchdog needs of its detector. */
export interface WatchdogTools<S> {
  readonly stacks: Stacks
  readonly guard: Guard
  /** This thread's CPU time in ms (the stall monitor's clock): the probe's own CPU is kept apart with it. */
  cpuMs(): number
  /** The scope of the code running now (read by the probe in the paused thread). */
  currentScope(): S | undefined
  /** Whether a module is loading now, which the scope running does not count as a stall (see runtime/module-loading.ts). */
  inModuleLoading(): boolean
  /**
   * Whether a probe's stack, captured in `scope`, shows a module loading that the loading clock does
   * not time (an ES module's evaluation, Vite's module runner, Jest's runtime) and the scope does
   * not count as a stall.
   */
  loadingOnStack(raw: RawStack, scope: S | undefined): boolean
  /**
   * Whether a probe's stack shows Node's own code only: the event loop between two callbacks (a
   * chain of `process.nextTick`s or promise jobs), which tells nothing of whose code stalls.
   */
  betweenCallbacks(raw: RawStack): boolean
  /** The root of loopcop's code, where `WORKER_FILE` is (undefined when it cannot be told). */
  readonly root: string | undefined
  /** Reports loopcop's own failure. */
  internalError(error: unknown): void
}

/**
 * Where a probe ended: the thread's wall and CPU time, and so far loopcop's own time with the
 * wrapped calls' (wall) and its own CPU time, as the stall monitor counts them; all in ms.
 */
export interface ProbeEnd {
  readonly at: number
  readonly cpuMs: number
  readonly ownMs: number
  readonly ownCpuMs: number
}

/** What the probe answers when it landed inside a wrapped call: the worker probes again (see the worker). */
export const AGAIN = 'again'

/**
 * Why a probe looked again, other than a module loading or a blocking call (see `Watchdog.takeAgainWhy`):
 * `between`, it found Node's own code between two callbacks; `formatter`, it was served while the
 * runner formatted a stack (`Guard.asRunnerWork`).
 */
export type AgainWhy = 'between' | 'formatter'

/** Whether the worker can reach this thread: still asking the main thread, yes, or no (or no worker). */
export type Route = 'connecting' | 'ready' | 'unreachable'

/** Where the worker says whether it reaches this thread in the shared memory, and its values (as in the worker). */
const ROUTE = 4
const ROUTES: readonly Route[] = ['connecting', 'ready', 'unreachable']
/** Where the worker says a probe's session to the main thread is open (1) or closed (0). */
const SESSION = 5
/**
 * Where the worker says for which beat it sent the last probe: served once a newer beat came, the
 * probe records nothing (see `#record`). 0 when not said (a worker of another loopcop version).
 */
const SENT_FOR = 7

/** What the probe answers when the stall it was sent for had ended before it was served: nothing recorded. */
export const STALE = 'stale'

/** The watched-thread side of the stall watchdog of one detector (the main thread, or a worker thread). */
export class Watchdog<S> {
  /** Probe results not yet taken by the heartbeat (bounded). */
  readonly probes: ProbeResult<S>[] = []
  /**
   * The scope a probe that answered `AGAIN` landed in, until the stall monitor takes it: when the
   * stall ends before the next probe (a watchdog short of CPU), it still tells whose stall it was.
   */
  #againIn: S | undefined
  /** A probe found a module loading the clock does not time and answered `AGAIN`, since the stall monitor last asked. */
  #loadingSeen = false
  /**
   * Why a probe answered `AGAIN`, since the stall monitor last asked, when not for a module loading
   * or a blocking call: it found Node's own code only (`betweenCallbacks`), or the runner formatting
   * a stack (`formatter`).
   */
  #againWhy: AgainWhy | undefined
  /** Set while the heartbeat itself runs: a pause landing there says nothing about the stall. */
  inHeartbeat = false
  readonly #tools: WatchdogTools<S>
  // Shared with the worker: [last beat (`monotonicNow()`), threshold ms, how often the worker looks (ms),
  // 1 when a debugger may be attached, the route (0 connecting, 1 ready, 2 unreachable), 1 while a
  // probe's session to the main thread is open, 1 while a wrapped call's original runs (`IN_CALL`),
  // the beat the last probe was sent for (`SENT_FOR`)], and the armed flag.
  #shared: Float64Array | undefined
  #armed: Int32Array | undefined
  /** This thread is watched (or on its way to be): it registered, or started a watchdog of its own. */
  #started = false
  #failed = false
  /** Where it registered, open until the watchdog answered (closed by `route`). */
  #channel: BroadcastChannel | undefined
  /** The process's watchdog, when this thread (the main thread) started it: what `stop` ends. */
  #own: StartedWatchdog | undefined
  /** A probe ran here since the console messages were last discarded (see `#discardConsole`). */
  #probed = false
  /** The probe, as installed on every realm the watchdog may pause in. */
  readonly #probe: () => string

  constructor(tools: WatchdogTools<S>) {
    this.#tools = tools
    this.#probe = () => this.#record()
  }

  /** Tells the watchdog the loop just turned (a heartbeat), and whether a debugger may be attached. */
  beat(): void {
    const shared = this.#shared
    if (shared === undefined) return
    shared[LAST_BEAT] = monotonicNow()
    // A debugger opened after start (inspector.open(), SIGUSR1) is left alone: the watchdog sends
    // nothing while one may be attached. Stalls are still seen, without a stack.
    shared[3] = inspector.url() === undefined ? 0 : 1
    if (this.#probed && shared[SESSION] !== 1) this.#discardConsole()
  }

  /**
   * Discards the console messages V8 kept for the probe's session while it was open (the values
   * logged with them, which it would otherwise keep alive: see `onMainThread` in the worker), once
   * that session is closed, through a session of this thread's own that is connected, used and
   * closed within this call (a session on its own thread answers at once). Only the main thread:
   * a worker thread's way in (the main thread's `NodeWorker` domain) stays attached while it runs.
   */
  #discardConsole(): void {
    this.#probed = false
    if (!isMainThread) return
    const guard = this.#tools.guard
    const t0 = now()
    try {
      const session = new inspector.Session()
      session.connect()
      try {
        session.post('Runtime.discardConsoleEntries')
      } finally {
        session.disconnect()
      }
    } catch (error) {
      this.#tools.internalError(error)
    } finally {
      guard.ownMs += now() - t0
    }
  }

  /** Arms the watchdog for a threshold (a scope is open), or disarms it (`Infinity`: none is). */
  arm(thresholdMs: number): void {
    const shared = this.#shared
    const armed = this.#armed
    if (shared === undefined || armed === undefined) return
    if (thresholdMs === Infinity) {
      Atomics.store(armed, 0, 0)
      return
    }
    const before = shared[1] as number
    shared[LAST_BEAT] = monotonicNow()
    shared[1] = thresholdMs
    // How often the worker looks while a probe is on its way or a stall goes on; else it sleeps
    // until the last beat is late by the threshold (watchdog-worker.mjs, `untilLate`).
    shared[2] = Math.max(2, Math.min(10, Math.floor(thresholdMs / 10)))
    // Woken when it slept unarmed, or on a longer threshold than this one (it would look too late).
    if (Atomics.exchange(armed, 0, 1) === 0 || thresholdMs < before) Atomics.notify(armed, 0)
  }

  /** Whether the watchdog runs (it cannot under a debugger, or without the inspector). */
  get running(): boolean {
    return this.#started
  }

  /** Whether the worker reaches this thread (always 'unreachable' when it does not run). */
  get route(): Route {
    const shared = this.#shared
    if (!this.#started || shared === undefined) return 'unreachable'
    const route = ROUTES[shared[ROUTE] as number] ?? 'unreachable'
    if (route !== 'connecting' && this.#channel !== undefined) {
      // The watchdog answered: nothing more to hear on the channel.
      this.#channel.close()
      this.#channel = undefined
    }
    return route
  }

  /** The scope the last probe that answered `AGAIN` landed in, if any since the last call; cleared. */
  takeAgainScope(): S | undefined {
    const scope = this.#againIn
    this.#againIn = undefined
    return scope
  }

  /** Whether a probe found a module loading the clock does not time since the last call; cleared. */
  takeLoadingSeen(): boolean {
    const seen = this.#loadingSeen
    this.#loadingSeen = false
    return seen
  }

  /** Why a probe looked again since the last call, other than a module loading or a blocking call (see `AgainWhy`); cleared. */
  takeAgainWhy(): AgainWhy | undefined {
    const why = this.#againWhy
    this.#againWhy = undefined
    return why
  }

  /** Frames of the running code, recorded by the probe on top of it (in V8's interrupt). */
  #record(): string {
    if (this.inHeartbeat) return 'heartbeat'
    // V8 serves the probe at the thread's next function call or loop back-edge: a long native stretch
    // (a huge JSON.parse, a collection of the heap) holds it, and it is served after. Asked for a
    // stall that has ended since (the thread beat, or ended an `allowBlocking(fn)`, a scope, a
    // module's evaluation, a long stack formatting: `Guard.asRunnerWork`), it reads code that ran
    // after: taken, it would tell the next stall by code that ran before it (Jest under load: a
    // probe asked for during a 2 s source-map parse, served after it in the `expect(` that took
    // the stack, charged the test's 300 ms loop that came next to that line).
    const shared = this.#tools.guard.watched
    const sentFor = shared?.[SENT_FOR] ?? 0
    if (shared !== undefined && sentFor > 0 && shared[LAST_BEAT] !== sentFor) return STALE
    // Inside a wrapped call (or loopcop's own work): a probe asked for while a blocking call slept
    // is served when the call returns, still inside it. That stretch is the call's own finding; the
    // watchdog asks again, and the next probe reads whatever keeps the loop busy after it.
    // So with a module loading (a `require`): the watchdog asks again, and the next probe reads the
    // code that goes on stalling once the module has loaded.
    if (this.#tools.guard.depth > 0 || this.#tools.inModuleLoading()) {
      this.#againIn = this.#tools.currentScope()
      return AGAIN
    }
    // Inside the runner's stack formatter (`Guard.asRunnerWork`), for `RUNNER_WORK_MS` or more
    // already (Jest's source-map support parsing a dependency's map, 160–250 ms of a Babel error's
    // `.stack` in jscodeshift): its time is the runner's, never a stall's, and the frames under it
    // are where the code read a stack, not where it stalls. The next probe, a few ms on, reads the
    // code that goes on stalling, if any. In a brief formatting (code reading stacks in a loop), the
    // stack below the formatter is the stall's, as before.
    const runner = this.#tools.guard
    if (runner.runnerDepth > 0 && now() - runner.runnerSince >= RUNNER_WORK_MS) {
      this.#againIn = this.#tools.currentScope()
      this.#againWhy = 'formatter'
      return AGAIN
    }
    const t0 = now()
    const cpu0 = this.#tools.cpuMs()
    let answer = 'failed'
    let found: Pick<ProbeResult<S>, 'scope' | 'raw' | 'unmapped'> | undefined
    try {
      const raw: RawStack = {}
      const limit = Error.stackTraceLimit
      Error.stackTraceLimit = PROBE_FRAMES
      Error.captureStackTrace(raw, this.#probe)
      Error.stackTraceLimit = limit
      this.#tools.stacks.key(raw) // read the call sites now, while the stalled frames are on the stack
      const scope = this.#tools.currentScope()
      // A module loading the clock does not time (an ES module's evaluation, Vite's module runner):
      // no stall of the scope's, but its own code may go on stalling once the module has loaded (a
      // test's `await import()` amid its own work). Looked at again, as inside a `require`; before,
      // the one stack read there dropped the whole stall.
      if (this.#tools.loadingOnStack(raw, scope)) {
        this.#againIn = scope
        this.#loadingSeen = true
        answer = AGAIN
      } else if (this.#tools.betweenCallbacks(raw)) {
        // Between two callbacks of a long chain (enhanced-resolve's 10,000 nextTicks): the next
        // probe, a few ms on, finds the chain's own code. Taken as it was, one stall in six went
        // unjudged ("no frame of the user's code"), and `stallMode: 'fail'` failed the test at random.
        this.#againIn = scope
        this.#againWhy = 'between'
        answer = AGAIN
      } else {
        found = { scope, raw, unmapped: this.#tools.stacks.readAsText(raw) }
        answer = 'ok'
      }
    } catch (error) {
      this.#tools.internalError(error)
    }
    const guard = this.#tools.guard
    const t1 = now()
    const cpu1 = this.#tools.cpuMs()
    guard.ownMs += t1 - t0
    guard.ownCpuMs += cpu1 - cpu0
    if (found !== undefined) {
      this.probes.push({ ...found, at: t0, after: { at: t1, cpuMs: cpu1, ownMs: guard.blockedMs + guard.ownMs, ownCpuMs: guard.ownCpuMs } })
      this.#probed = true
      if (this.probes.length > 50) this.probes.shift()
    }
    return answer
  }

  /** Makes the probe reachable from a realm (Jest's test context). */
  installProbe(realmGlobal: object): void {
    Object.defineProperty(realmGlobal, PROBE_KEY, { value: this.#probe, configurable: true, enumerable: false, writable: true })
  }

  /**
   * Makes the probe reachable from the thread's own realm, where the worker evaluates it. That is
   * this realm, unless loopcop was loaded inside a vm context whose `process` is the thread's
   * (Vitest's `vmThreads` and `vmForks` without the preload, which load it in each test file's
   * context): there the probe also goes on `process`, which the worker's expression reads when the
   * thread's global has none. Without it every stall there went unjudged, "ended before the
   * watchdog looked".
   */
  #installOnThread(): void {
    this.installProbe(globalThis)
    if (!(process instanceof Object)) this.installProbe(process)
  }

  /**
   * Has this thread watched (once per thread); a no-op where it cannot be. The process has one
   * watchdog, started on its main thread: the main thread starts it there, a worker thread asks the
   * main thread to (over the inspector), and then registers with it through `CHANNEL`. A worker
   * thread whose main thread does not answer that (an old Node without
   * `process.getBuiltinModule`, a main thread that gives no answer within `ASK_MS`) starts a
   * watchdog of its own.
   */
  start(): void {
    if (this.#started || this.#failed) return
    // A debugger already attached (inspector.url()) must not be disturbed. In a worker thread
    // url() says nothing of the process's inspector: there, a process started to be debugged
    // (--inspect and its kin) is enough; the stall monitor falls back to its sampler.
    if (inspector.url() !== undefined || (!isMainThread && startedToBeDebugged()) || typeof (inspector.Session as typeof inspector.Session | undefined)?.prototype.connectToMainThread !== 'function') {
      this.#failed = true
      return
    }
    try {
      const sab = new SharedArrayBuffer((Math.max(IN_CALL, SENT_FOR) + 1) * 8)
      const armedSab = new SharedArrayBuffer(4)
      this.#shared = new Float64Array(sab)
      this.#tools.guard.watched = this.#shared
      this.#armed = new Int32Array(armedSab)
      this.#installOnThread()
      // The thread to probe: 0 for the main thread, else this worker's id (see the worker).
      const registration: Registration = { kind: 'register', target: isMainThread ? 0 : threadId, shared: sab, armed: armedSab }
      this.#started = true
      if (isMainThread) this.#own = ensureWatchdog(() => this.#script(), registration, (error) => this.#giveUp(error))
      else this.#askMainThread(registration)
    } catch (error) {
      this.#giveUp(error)
    }
  }

  /**
   * Ends the process's watchdog when this thread started it and it watches no other thread, so that
   * a later `start` begins anew. For a watchdog started ahead of the first test
   * (`StallMonitor.prepare`) that turned out not to be wanted (`configure({ stallMs: 0 })` in a
   * set-up module loaded after loopcop): its thread would otherwise start for nothing, ~20–50 ms of
   * CPU in every test file's process under node:test.
   */
  stop(): void {
    const own = this.#own
    if (own === undefined || own.watched.length > 1) return
    this.#own = undefined
    this.#started = false
    this.#shared = undefined
    this.#tools.guard.watched = undefined
    this.#armed = undefined
    own.stop()
  }

  /** The worker's script: its source as a CommonJS script (see `commonJsScript`), or its file. */
  #script(): WatchdogScript {
    const root = this.#tools.root
    const file = root === undefined ? undefined : join(root, WORKER_FILE)
    // Read with the guard up: loopcop's own start-up, never a finding.
    const text = file === undefined ? undefined : this.#tools.guard.hold(() => readWorker(file))
    if (file === undefined || text === undefined) throw new Error(`loopcop: the stall watchdog's worker is missing (${file ?? WORKER_FILE}); stalls are reported without a stack`)
    const script = commonJsScript(text)
    return script === undefined ? { file } : { source: script }
  }

  /** Sends this thread's registration to the process's watchdog, through the main thread (see `ensureWatchdog`). */
  #register(registration: Registration): void {
    const channel = new BroadcastChannel(CHANNEL)
    channel.unref()
    channel.postMessage(registration)
    this.#channel = channel
  }

  /**
   * A worker thread: has the main thread start the process's watchdog if it has none, then
   * registers with it. Where the main thread cannot or does not answer, starts its own. It first
   * asks only whether one runs: under Vitest's `threads` pool every test file's worker asks, and
   * only the first finds none. The others neither read the worker's script nor have the main
   * thread compile it into the expression that starts it (~2 ms of a worker's CPU, ~1 ms of its
   * wall time, measured on Node 24).
   */
  #askMainThread(registration: Registration): void {
    let settled = false
    const session = new inspector.Session()
    const settle = (): boolean => {
      if (settled) return false
      settled = true
      clearTimeout(timer)
      session.disconnect()
      return true
    }
    const ownWatchdog = (): void => {
      if (!settle()) return
      try {
        this.#startOwn(this.#script(), registration)
      } catch (error) {
        this.#giveUp(error)
      }
    }
    const registered = (): void => {
      if (settle()) this.#register(registration)
    }
    // The main thread's answer; `undefined` when it gave none (an exception, an error of the protocol).
    const evaluate = (expression: string, then: (value: unknown) => void): void => {
      session.post('Runtime.evaluate', { expression, silent: true, returnByValue: true }, (error, answer) => {
        if (!settled) then(error === null ? answer.result.value : undefined)
      })
    }
    session.connectToMainThread()
    const timer = setTimeout(ownWatchdog, ASK_MS)
    timer.unref()
    evaluate(RUNNING_EXPRESSION, (running) => {
      if (running === 'running') {
        registered()
        return
      }
      let script: WatchdogScript
      try {
        script = this.#script()
      } catch (error) {
        if (settle()) this.#giveUp(error)
        return
      }
      evaluate(ensureExpression(script), (value) => (value === 'started' || value === 'running' ? registered() : ownWatchdog()))
    })
  }

  /** A watchdog of this thread's own, watching only it. */
  #startOwn(script: WatchdogScript, registration: Registration): void {
    startWorker(script, registration).on('error', (error) => this.#giveUp(error))
  }

  #giveUp(error: unknown): void {
    this.#failed = true
    this.#started = false
    this.#own = undefined
    this.#shared = undefined
    this.#tools.guard.watched = undefined
    this.#armed = undefined
    this.#channel?.close()
    this.#channel = undefined
    this.#tools.internalError(error)
  }
}

/** The watchdog worker's script: a CommonJS source started with `eval: true`, or its module file. */
type WatchdogScript = { readonly source: string } | { readonly file: string }

/**
 * What every watchdog worker is started with besides its data. A worker inherits its parent's
 * command-line options (`execArgv`) and reads `NODE_OPTIONS` from its environment, so each
 * `--require` of the process (`node -r ts-node/register`, `NODE_OPTIONS='--require dotenv/config'`,
 * an APM agent, `loopcop/vitest/preload` under `vmForks`) would load again in the watchdog's thread:
 * its CPU on every test file, and anything it prints printed twice. The watchdog needs neither.
 * (Its output, if it ever printed any, would go to the process's own.)
 */
const WORKER_OPTIONS: Pick<WorkerOptions, 'stdout' | 'stderr' | 'execArgv' | 'env'> = { stdout: false, stderr: false, execArgv: [], env: {} }

/** Starts a watchdog worker (unref'd, with none of the process's options), `registration` its first target if given. */
function startWorker(script: WatchdogScript, registration: Registration | undefined): Worker {
  const options = { ...WORKER_OPTIONS, workerData: { registration } }
  const worker = 'source' in script ? new Worker(script.source, { ...options, eval: true }) : new Worker(script.file, options)
  worker.unref()
  return worker
}

/** What a thread sends the process's watchdog to be watched (`Registration` in the worker). */
interface Registration {
  readonly kind: 'register'
  /** Its `threadId` (0: the main thread). */
  readonly target: number
  readonly shared: SharedArrayBuffer
  readonly armed: SharedArrayBuffer
}

/** Where the main thread keeps the process's watchdog worker, and the channel threads register on. */
// v2: the beat is on the monotonic clock (v1 builds wrote `performance.timeOrigin + now()`): another
// copy of loopcop in the process that writes the other clock keeps a watchdog of its own.
const WATCHDOG_KEY = 'loopcop.watchdog.v2'
const CHANNEL = 'loopcop.watchdog.v2'
/** How long a worker thread waits for the main thread to start the process's watchdog before starting its own. */
const ASK_MS = 2_000

/**
 * On the main thread: starts the process's watchdog with `registration` as its first target, and
 * forwards to it the registrations other threads send on `CHANNEL`; where one runs already (another
 * copy of loopcop, or a worker thread asked first), registers with it. The main thread listens,
 * not the watchdog: a message sent before the watchdog's thread is up would be lost, one posted to
 * a worker waits for it. `script` is read only to start one. `ensureExpression` does the same from
 * a worker thread, as text: keep the two alike.
 */
function ensureWatchdog(script: () => WatchdogScript, registration: Registration, onError: (error: unknown) => void): StartedWatchdog | undefined {
  const key = Symbol.for(WATCHDOG_KEY)
  const global = globalThis as Record<symbol, unknown>
  const running = global[key]
  if (running instanceof Worker) {
    running.postMessage(registration)
    return undefined
  }
  const worker = startWorker(script(), registration)
  const watched: SharedArrayBuffer[] = [registration.shared]
  const channel = new BroadcastChannel(CHANNEL)
  channel.unref()
  channel.onmessage = (event) => {
    const message = (event as { data?: Partial<Registration> }).data
    if (message?.shared instanceof SharedArrayBuffer) watched.push(message.shared)
    worker.postMessage(message)
  }
  worker.on('error', (error) => {
    // Every thread it watched stops waiting for it: a worker thread falls back to its sampler.
    for (const shared of watched) new Float64Array(shared)[ROUTE] = ROUTES.indexOf('unreachable')
    channel.close()
    if (global[key] === worker) Reflect.deleteProperty(global, key)
    onError(error)
  })
  Object.defineProperty(global, key, { value: worker, configurable: true, enumerable: false, writable: true })
  return {
    watched,
    stop: () => {
      channel.close()
      if (global[key] === worker) Reflect.deleteProperty(global, key)
      // Ended on purpose: an error it reports on its way out is no longer the watched thread's.
      worker.removeAllListeners('error')
      worker.on('error', () => {})
      void worker.terminate()
    },
  }
}

/** A watchdog the main thread started (`ensureWatchdog`): the threads it watches, and how to end it. */
interface StartedWatchdog {
  /** The shared memory of every thread registered with it, the starting thread's first. */
  readonly watched: readonly SharedArrayBuffer[]
  /** Ends its thread and forgets it: the next `ensureWatchdog` starts another. */
  stop(): void
}

/** What a worker thread has the main thread evaluate first: whether the process's watchdog runs (`'running'`). */
const RUNNING_EXPRESSION = `globalThis[Symbol.for(${JSON.stringify(WATCHDOG_KEY)})] === undefined ? 'none' : 'running'`

/**
 * What a worker thread has the main thread evaluate when none runs: `ensureWatchdog` without a first target,
 * answering `'started'` or `'running'` (an exception where Node has no `process.getBuiltinModule`).
 */
function ensureExpression(script: WatchdogScript): string {
  const worker = 'source' in script ? `new Worker(${JSON.stringify(script.source)}, { ...options, eval: true })` : `new Worker(${JSON.stringify(script.file)}, options)`
  return `(() => {
  const key = Symbol.for(${JSON.stringify(WATCHDOG_KEY)})
  if (globalThis[key] !== undefined) return 'running'
  const { Worker, BroadcastChannel } = process.getBuiltinModule('node:worker_threads')
  const options = { ...${JSON.stringify(WORKER_OPTIONS)}, workerData: {} }
  const worker = ${worker}
  worker.unref()
  const watched = []
  const channel = new BroadcastChannel(${JSON.stringify(CHANNEL)})
  channel.unref()
  channel.onmessage = (event) => {
    if (event.data?.shared instanceof SharedArrayBuffer) watched.push(event.data.shared)
    worker.postMessage(event.data)
  }
  worker.on('error', (error) => {
    for (const shared of watched) new Float64Array(shared)[${ROUTE}] = ${ROUTES.indexOf('unreachable')}
    channel.close()
    if (globalThis[key] === worker) delete globalThis[key]
    process.stderr.write('loopcop: the stall watchdog stopped (stalls in worker threads are read with the sampling profiler from now on): ' + (error?.stack ?? error) + '\\n')
  })
  Object.defineProperty(globalThis, key, { value: worker, configurable: true, enumerable: false, writable: true })
  return 'started'
})()
//# sourceURL=loopcop:start-watchdog`
}

/** The worker's source, or undefined when it cannot be read. */
function readWorker(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** The worker's imports of Node's modules, one a line (`import x from 'node:y'`, `import { x } from 'node:y'`). */
const BUILTIN_IMPORT = /^import (\w+|\{[\w\s,]*\}) from '(node:[\w/]+)'$/gm

/**
 * The worker's module as a CommonJS script (its imports of Node's modules as `require`), started
 * with `eval: true`: a worker started from an ES module starts the ES module loader first, ~4–6 ms
 * of CPU per process (bench/README.md, "starting the watchdog"). Undefined when the source holds
 * anything else only a module may (then the worker starts from its file).
 */
export function commonJsScript(source: string): string | undefined {
  const script = source.replace(BUILTIN_IMPORT, 'const $1 = require(\'$2\')')
  return /^\s*(import|export)\b|\bimport\.meta\b|\bimport\(/m.test(script) ? undefined : `'use strict';${script}`
}

/** Whether the process was started with a flag that opens the inspector (`--inspect`, `--inspect-brk`, `--inspect-wait`). */
function startedToBeDebugged(): boolean {
  return nodeFlags().some((flag) => /^--inspect(-brk|-wait)?(=|$)/.test(flag))
}
