// @ts-check
// The stall watchdog's worker thread (docs/architecture.md, "stall"; started by watchdog.ts). It
// watches the main thread's heartbeat through shared memory and, once the beat is late by more
// than the threshold, pauses the main thread over the inspector and evaluates loopcop's probe
// there, which records the stalled code's stack and scope. Plain JavaScript so that it runs as it
// is from the sources and from both builds; type-checked through the JSDoc below.
import inspector from 'node:inspector'
import { performance } from 'node:perf_hooks'
import { workerData } from 'node:worker_threads'

/**
 * The memory shared with the main thread (see `Watchdog` in watchdog.ts).
 * @typedef {object} WatchdogData
 * @property {SharedArrayBuffer} shared [last beat (epoch ms), threshold ms, ms the main thread spent paused, how often to look (ms), 1 when a debugger may be attached]
 * @property {SharedArrayBuffer} armed one Int32: 1 while a scope is open
 */

/**
 * The shared memory watchdog.ts hands the worker, checked.
 * @param {unknown} value
 * @returns {WatchdogData}
 */
function watchdogData(value) {
  const { shared, armed } = /** @type {Partial<WatchdogData>} */ (value ?? {})
  if (!(shared instanceof SharedArrayBuffer) || !(armed instanceof SharedArrayBuffer)) throw new TypeError('loopcop: the stall watchdog was started without its shared memory')
  return { shared, armed }
}

const data = watchdogData(workerData)
const shared = new Float64Array(data.shared)
const armed = new Int32Array(data.armed)
/** The expression the paused main thread evaluates: the probe watchdog.ts installed on its realm. */
const probe = 'globalThis[Symbol.for("loopcop.stallProbe")] ? globalThis[Symbol.for("loopcop.stallProbe")]() : "none"'
/** How long a pause may take to land before the watchdog gives up (a native call longer than this). */
const PAUSE_TIMEOUT_MS = 2000

let handled = -1
let busy = false

/** @param {inspector.Session} session */
function done(session) {
  try {
    session.disconnect()
  } catch {
    // already gone
  }
  busy = false
}

function next() {
  // Disarmed (no scope open): sleep on the flag, waking once a second at most, so the watchdog
  // costs no CPU between tests. Armed: look again after a quarter of the threshold.
  if (!busy && Atomics.load(armed, 0) === 0) Atomics.wait(armed, 0, 0, 1000)
  setTimeout(check, shared[3] || 25)
}

function check() {
  try {
    look()
  } finally {
    next()
  }
}

function look() {
  if (busy || Atomics.load(armed, 0) === 0 || shared[4] === 1) return
  const last = /** @type {number} */ (shared[0])
  const t0 = performance.timeOrigin + performance.now()
  if (last === handled || t0 - last < /** @type {number} */ (shared[1])) return
  handled = last
  busy = true
  const session = new inspector.Session()
  try {
    session.connectToMainThread()
  } catch {
    busy = false
    return
  }
  // A pause that never came (a native call longer than this): give up. Resume only when no
  // debugger arrived meanwhile: a pause it made is not loopcop's to end.
  const timeout = setTimeout(() => {
    try {
      if (shared[4] !== 1) session.post('Debugger.resume')
    } catch {
      // the session is gone
    }
    done(session)
  }, PAUSE_TIMEOUT_MS)
  session.once('Debugger.paused', (message) => {
    // The main thread is held from here to the resume: that time is loopcop's, not the stall's.
    const pausedAt = performance.now()
    const top = message.params.callFrames[0]
    if (top === undefined) return
    session.post('Debugger.evaluateOnCallFrame', { callFrameId: top.callFrameId, expression: probe, silent: true, returnByValue: true }, () => {
      session.post('Debugger.resume', () => {
        shared[2] = (shared[2] ?? 0) + performance.now() - pausedAt
        session.post('Debugger.disable', () => {
          clearTimeout(timeout)
          done(session)
        })
      })
    })
  })
  // Both requests go at once: V8 serves them at the stalled thread's next JS call (a long native
  // call such as JSON.parse cannot be interrupted), and waiting for the first would cost a second.
  session.post('Debugger.enable', (error) => {
    if (error) {
      clearTimeout(timeout)
      done(session)
    }
  })
  session.post('Debugger.pause')
}

next()
