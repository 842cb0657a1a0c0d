// The stall watchdog, watched-thread side (docs/architecture.md, "stall"): the memory it shares
// with its worker (watchdog-worker.mjs), and the probe the worker evaluates in the stalled thread.
import { readFileSync } from 'node:fs'
import inspector from 'node:inspector'
import { join } from 'node:path'
import { Worker, isMainThread, threadId } from 'node:worker_threads'
import { now, wallNow } from '../runtime/clock.js'
import type { Guard } from '../runtime/guard.js'
import type { RawStack, Stacks } from '../stack/capture.js'

/**
 * The stall watchdog: a worker thread that, once this thread's heartbeat is late by more than the
 * threshold, has this thread evaluate a probe over the inspector (`Runtime.evaluate`). Node
 * delivers the request through V8's interrupt, served at the stalled code's next function call or
 * loop back-edge, so the probe runs on top of the stalled stack: it records that stack (through
 * the runner's `Error.prepareStackTrace`, so source-mapped) and the AsyncLocalStorage store of the
 * stalled code, the scope the stall belongs to. No debugger is enabled: `Debugger.enable` reports
 * every loaded script to the session (675 ms with 20,000) and slows async code while on
 * (bench/README.md, "catching a stall's stack"). The probe's own time is added to the guard's
 * `ownMs`, so it is never counted as the stall's. Starting the worker costs ~25–35 ms of CPU, mostly
 * on its own thread (Node's floor for starting a thread, bench/README.md); while no scope is open it sleeps on `Atomics.wait`.
 *
 * The worker reaches the main thread with `connectToMainThread()`, and a worker thread (Vitest's
 * `threads` pool) through the main thread's `NodeWorker` domain, which relays the probe to it
 * (watchdog-worker.mjs). Whether that way exists is known only once the worker has asked the main
 * thread (`route`); where it does not, the stall monitor reads stacks with its sampler instead.
 */

const PROBE_KEY = Symbol.for('loopcop.stallProbe')
/** The name of the script the worker has evaluated (its `sourceURL`): its frame is the probe's, not the stalled code's. */
export const PROBE_SOURCE = 'loopcop:stall-probe'
const STACK_LIMIT = 100

/** Where the worker is, relative to the root of loopcop's code (a build folder, or the sources). */
const WORKER_FILE = join('src', 'stall', 'watchdog-worker.mjs')

/** What the probe saw while the thread was paused mid-stall. */
export interface ProbeResult<S> {
  readonly scope: S | undefined
  readonly raw: RawStack
  readonly at: number
}

/** What the watchdog needs of its detector. */
export interface WatchdogTools<S> {
  readonly stacks: Stacks
  readonly guard: Guard
  /** This thread's CPU time in ms (the stall monitor's clock): the probe's own CPU is kept apart with it. */
  cpuMs(): number
  /** The scope of the code running now (read by the probe in the paused thread). */
  currentScope(): S | undefined
  /** The root of loopcop's code, where `WORKER_FILE` is (undefined when it cannot be told). */
  readonly root: string | undefined
  /** Reports loopcop's own failure. */
  internalError(error: unknown): void
}

/** What the probe answers when it landed inside a wrapped call: the worker probes again (see the worker). */
export const AGAIN = 'again'

/** Whether the worker can reach this thread: still asking the main thread, yes, or no (or no worker). */
export type Route = 'connecting' | 'ready' | 'unreachable'

/** Where the worker says whether it reaches this thread in the shared memory, and its values (as in the worker). */
const ROUTE = 4
const ROUTES: readonly Route[] = ['connecting', 'ready', 'unreachable']

/** The watched-thread side of the stall watchdog of one detector (the main thread, or a worker thread). */
export class Watchdog<S> {
  /** Probe results not yet taken by the heartbeat (bounded). */
  readonly probes: ProbeResult<S>[] = []
  /** Set while the heartbeat itself runs: a pause landing there says nothing about the stall. */
  inHeartbeat = false
  readonly #tools: WatchdogTools<S>
  // Shared with the worker: [last beat (epoch ms), threshold ms, how often the worker looks (ms),
  // 1 when a debugger may be attached, the route (0 connecting, 1 ready, 2 unreachable)], and the
  // armed flag.
  #shared: Float64Array | undefined
  #armed: Int32Array | undefined
  #worker: Worker | undefined
  #failed = false
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
    shared[0] = wallNow()
    // A debugger opened after start (inspector.open(), SIGUSR1) is left alone: the watchdog sends
    // nothing while one may be attached. Stalls are still seen, without a stack.
    shared[3] = inspector.url() === undefined ? 0 : 1
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
    shared[0] = wallNow()
    shared[1] = thresholdMs
    // Looking often costs the worker a timer wake-up; looking late lets a stall barely over the
    // threshold end before the probe lands (it is then reported without a stack).
    shared[2] = Math.max(2, Math.min(10, Math.floor(thresholdMs / 10)))
    if (Atomics.exchange(armed, 0, 1) === 0) Atomics.notify(armed, 0)
  }

  /** Whether the watchdog runs (it cannot under a debugger, or without the inspector). */
  get running(): boolean {
    return this.#worker !== undefined
  }

  /** Whether the worker reaches this thread (always 'unreachable' when it does not run). */
  get route(): Route {
    const shared = this.#shared
    if (this.#worker === undefined || shared === undefined) return 'unreachable'
    return ROUTES[shared[ROUTE] as number] ?? 'unreachable'
  }

  /** Frames of the running code, recorded by the probe on top of it (in V8's interrupt). */
  #record(): string {
    if (this.inHeartbeat) return 'heartbeat'
    // Inside a wrapped call (or loopcop's own work): a probe asked for while a blocking call slept
    // is served when the call returns, still inside it. That stretch is the call's own finding; the
    // watchdog asks again, and the next probe reads whatever keeps the loop busy after it.
    if (this.#tools.guard.depth > 0) return AGAIN
    const t0 = now()
    const cpu0 = this.#tools.cpuMs()
    try {
      const raw: RawStack = {}
      const limit = Error.stackTraceLimit
      Error.stackTraceLimit = STACK_LIMIT
      Error.captureStackTrace(raw, this.#probe)
      Error.stackTraceLimit = limit
      this.#tools.stacks.key(raw) // read the call sites now, while the stalled frames are on the stack
      this.probes.push({ scope: this.#tools.currentScope(), raw, at: t0 })
      if (this.probes.length > 50) this.probes.shift()
      return 'ok'
    } catch (error) {
      this.#tools.internalError(error)
      return 'failed'
    } finally {
      this.#tools.guard.ownMs += now() - t0
      this.#tools.guard.ownCpuMs += this.#tools.cpuMs() - cpu0
    }
  }

  /** Makes the probe reachable from a realm (Jest's test context). */
  installProbe(realmGlobal: object): void {
    Object.defineProperty(realmGlobal, PROBE_KEY, { value: this.#probe, configurable: true, enumerable: false, writable: true })
  }

  /** Starts the watchdog worker (once per thread); a no-op where it cannot run. */
  start(): void {
    if (this.#worker !== undefined || this.#failed) return
    // A debugger already attached (inspector.url()) must not be disturbed. In a worker thread
    // url() says nothing of the process's inspector: there, a process started to be debugged
    // (--inspect and its kin) is enough; the stall monitor falls back to its sampler.
    if (inspector.url() !== undefined || (!isMainThread && startedToBeDebugged()) || typeof (inspector.Session as typeof inspector.Session | undefined)?.prototype.connectToMainThread !== 'function') {
      this.#failed = true
      return
    }
    try {
      const root = this.#tools.root
      const file = root === undefined ? undefined : join(root, WORKER_FILE)
      // Read with the guard up: loopcop's own start-up, never a finding.
      const text = file === undefined ? undefined : this.#tools.guard.hold(() => readWorker(file))
      if (file === undefined || text === undefined) throw new Error(`loopcop: the stall watchdog's worker is missing (${file ?? WORKER_FILE}); stalls are reported without a stack`)
      const script = commonJsScript(text)
      const sab = new SharedArrayBuffer(5 * 8)
      const armedSab = new SharedArrayBuffer(4)
      this.#shared = new Float64Array(sab)
      this.#armed = new Int32Array(armedSab)
      this.installProbe(globalThis)
      // The thread to probe: 0 for the main thread, else this worker's id (see the worker).
      const target = isMainThread ? 0 : threadId
      const options = { workerData: { shared: sab, armed: armedSab, target }, stdout: false, stderr: false }
      const worker = script === undefined ? new Worker(file, options) : new Worker(script, { ...options, eval: true })
      worker.unref()
      worker.on('error', (error) => {
        this.#failed = true
        this.#worker = undefined
        this.#tools.internalError(error)
      })
      this.#worker = worker
    } catch (error) {
      this.#failed = true
      this.#shared = undefined
      this.#armed = undefined
      this.#tools.internalError(error)
    }
  }
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
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]
  return flags.some((flag) => /^--inspect(-brk|-wait)?(=|$)/.test(flag))
}
