import inspector from 'node:inspector'
import { now, wallNow } from './clock.js'
import { Worker, isMainThread } from 'node:worker_threads'
import { als } from './context.js'
import { reportInternalError } from './notify.js'
import type { Scope } from './scope.js'
import { type RawStack, stackText } from './stack.js'

/**
 * The stall watchdog: a worker thread that, once the main thread's heartbeat is late by more than
 * the threshold, pauses the main thread over the inspector (`connectToMainThread` +
 * `Debugger.pause`) and evaluates a probe there. The probe records the running stack (through the
 * runner's `Error.prepareStackTrace`, so source-mapped) and the AsyncLocalStorage store of the
 * stalled code: the scope the stall belongs to. `Debugger.enable` costs tens of ms and slows async
 * code while on, so it is enabled only once a stall is under way, and the paused time is reported
 * back (`pausedMs`) so it is not counted as the stall's. Starting the worker costs ~15 ms of CPU,
 * mostly on its own thread; while no scope is open it sleeps on `Atomics.wait`.
 */

const PROBE_KEY = Symbol.for('loopcop.stallProbe')
const STACK_LIMIT = 100

/** What the probe saw while the thread was paused mid-stall. */
export interface ProbeResult {
  readonly scope: Scope | undefined
  readonly raw: RawStack
  readonly at: number
}

/** Probe results not yet taken by the heartbeat (bounded). */
export const probes: ProbeResult[] = []

/** Set while the heartbeat itself runs: a pause landing there says nothing about the stall. */
export const probeState = { inHeartbeat: false }

// Shared with the worker: [last beat (epoch ms), threshold ms, ms the main thread spent paused,
// how often the worker looks (ms), 1 when a debugger may be attached], and the armed flag.
let shared: Float64Array | undefined
let armed: Int32Array | undefined
let watchdog: Worker | undefined
let watchdogFailed = false

function epochNow(): number {
  return wallNow()
}

/** Tells the watchdog the loop just turned (a heartbeat), and whether a debugger may be attached. */
export function beat(): void {
  if (shared === undefined) return
  shared[0] = epochNow()
  // A debugger opened after start (inspector.open(), SIGUSR1) owns the pauses from then on: the
  // watchdog must never resume one of its breakpoints. Stalls are still seen, without a stack.
  shared[4] = inspector.url() === undefined ? 0 : 1
}

/** Total ms the watchdog has held the main thread paused (loopcop's time, never a stall's). */
export function pausedMs(): number {
  return shared?.[2] ?? 0
}

/** Arms the watchdog for a threshold (a scope is open), or disarms it (`Infinity`: none is). */
export function armWatchdog(thresholdMs: number): void {
  if (shared === undefined || armed === undefined) return
  if (thresholdMs === Infinity) {
    Atomics.store(armed, 0, 0)
    return
  }
  shared[0] = epochNow()
  shared[1] = thresholdMs
  shared[3] = Math.max(5, Math.min(25, Math.floor(thresholdMs / 4)))
  if (Atomics.exchange(armed, 0, 1) === 0) Atomics.notify(armed, 0)
}

/** Whether the watchdog runs (it cannot in worker threads, under a debugger, or without the inspector). */
export function watchdogRunning(): boolean {
  return watchdog !== undefined
}

/** Frames of the running code, recorded by the probe while the watchdog holds the thread paused. */
function probe(): string {
  if (probeState.inHeartbeat) return 'heartbeat'
  const raw: RawStack = {}
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = STACK_LIMIT
  Error.captureStackTrace(raw, probe)
  Error.stackTraceLimit = limit
  stackText(raw) // format now, while the stalled frames are on the stack (guard up: see stackText)
  probes.push({ scope: als.getStore(), raw, at: now() })
  if (probes.length > 50) probes.shift()
  return 'ok'
}

/** Makes the probe reachable from another realm (Jest's test context) the watchdog may pause in. */
export function installStallProbe(realmGlobal: object): void {
  Object.defineProperty(realmGlobal, PROBE_KEY, { value: probe, configurable: true, enumerable: false, writable: true })
}

const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads')
const inspector = require('node:inspector')
const { performance } = require('node:perf_hooks')
const shared = new Float64Array(workerData.shared)
const armed = new Int32Array(workerData.armed)
const probe = 'globalThis[Symbol.for("loopcop.stallProbe")] ? globalThis[Symbol.for("loopcop.stallProbe")]() : "none"'
let handled = -1
let busy = false
function done(session) {
  try { session.disconnect() } catch {}
  busy = false
}
function next() {
  // Disarmed (no scope open): sleep on the flag, waking once a second at most, so the watchdog
  // costs no CPU between tests. Armed: look again after a quarter of the threshold.
  if (!busy && Atomics.load(armed, 0) === 0) Atomics.wait(armed, 0, 0, 1000)
  setTimeout(check, shared[3] || 25)
}
function check() {
  try { look() } finally { next() }
}
function look() {
  if (busy || Atomics.load(armed, 0) === 0 || shared[4] === 1) return
  const last = shared[0]
  const t0 = performance.timeOrigin + performance.now()
  if (last === handled || t0 - last < shared[1]) return
  handled = last
  busy = true
  const session = new inspector.Session()
  try { session.connectToMainThread() } catch { busy = false; return }
  // A pause that never came (a native call longer than this): give up. Resume only when no
  // debugger arrived meanwhile: a pause it made is not loopcop's to end.
  const timeout = setTimeout(() => { try { if (shared[4] !== 1) session.post('Debugger.resume') } catch {} ; done(session) }, 2000)
  session.once('Debugger.paused', (m) => {
    // The main thread is held from here to the resume: that time is loopcop's, not the stall's.
    const pausedAt = performance.now()
    const top = m.params.callFrames[0]
    session.post('Debugger.evaluateOnCallFrame', { callFrameId: top.callFrameId, expression: probe, silent: true, returnByValue: true }, () => {
      session.post('Debugger.resume', () => {
        shared[2] += performance.now() - pausedAt
        session.post('Debugger.disable', () => { clearTimeout(timeout); done(session) })
      })
    })
  })
  // Both requests go at once: V8 serves them at the stalled thread's next JS call (a long native
  // call such as JSON.parse cannot be interrupted), and waiting for the first would cost a second.
  session.post('Debugger.enable', (err) => {
    if (err) { clearTimeout(timeout); done(session) }
  })
  session.post('Debugger.pause')
}
next()
`

/** Starts the watchdog worker (once per process, main thread only); a no-op where it cannot run. */
export function startWatchdog(): void {
  if (watchdog !== undefined || watchdogFailed) return
  // Only the main thread can be paused from a worker (connectToMainThread); a debugger already
  // attached (inspector.url()) must not be disturbed.
  if (!isMainThread || inspector.url() !== undefined || typeof inspector.Session?.prototype.connectToMainThread !== 'function') {
    watchdogFailed = true
    return
  }
  try {
    const sab = new SharedArrayBuffer(5 * 8)
    const armedSab = new SharedArrayBuffer(4)
    shared = new Float64Array(sab)
    armed = new Int32Array(armedSab)
    installStallProbe(globalThis)
    watchdog = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { shared: sab, armed: armedSab }, stdout: false, stderr: false })
    watchdog.unref()
    watchdog.on('error', (error) => {
      watchdogFailed = true
      watchdog = undefined
      reportInternalError(error)
    })
  } catch (error) {
    watchdogFailed = true
    reportInternalError(error)
  }
}
