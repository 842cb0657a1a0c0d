// @ts-check
// The stall watchdog's worker thread (docs/architecture.md, "stall"; started by watchdog.ts). It
// watches the main thread's heartbeat through shared memory and, once the beat is late by more
// than the threshold, has the main thread evaluate loopcop's probe over the inspector
// (`Runtime.evaluate`). Node hands inspector messages from other threads to the main thread
// through V8's interrupt, which a running thread serves at its next function call or loop
// back-edge: the probe runs on top of the stalled code and records its stack and scope. No
// debugger is enabled, so nothing is paid per loaded script. Plain JavaScript so that it runs as it
// is from the sources and from both builds; type-checked through the JSDoc below.
import inspector from 'node:inspector'
import { performance } from 'node:perf_hooks'
import { workerData } from 'node:worker_threads'

/**
 * The memory shared with the main thread (see `Watchdog` in watchdog.ts).
 * @typedef {object} WatchdogData
 * @property {SharedArrayBuffer} shared [last beat (epoch ms), threshold ms, how often to look (ms), 1 when a debugger may be attached]
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
/**
 * The expression the main thread evaluates: the probe watchdog.ts installed on its realm. Named
 * (`PROBE_SOURCE` in watchdog.ts), so that its frame is told from the stalled code's.
 */
const probe = 'globalThis[Symbol.for("loopcop.stallProbe")] ? globalThis[Symbol.for("loopcop.stallProbe")]() : "none"\n//# sourceURL=loopcop:stall-probe'

/** @type {inspector.Session | undefined} */
let session
let handled = -1
let busy = false

function next() {
  // Disarmed (no scope open): sleep on the flag, waking once a second at most, so the watchdog
  // costs no CPU between tests. Armed: look again after a tenth of the threshold.
  if (!busy && Atomics.load(armed, 0) === 0) Atomics.wait(armed, 0, 0, 1000)
  setTimeout(check, shared[2] || 10)
}

function check() {
  try {
    look()
  } finally {
    next()
  }
}

function look() {
  if (busy || Atomics.load(armed, 0) === 0 || shared[3] === 1) return
  const last = /** @type {number} */ (shared[0])
  if (last === handled || performance.timeOrigin + performance.now() - last < /** @type {number} */ (shared[1])) return
  handled = last
  if (session === undefined) {
    // One session for the life of the process: connecting costs the main thread little, and no
    // domain is ever enabled on it.
    const s = new inspector.Session()
    try {
      s.connectToMainThread()
    } catch {
      return
    }
    session = s
  }
  busy = true
  // No time limit: a long native call (a huge JSON.parse) serves the interrupt when it returns,
  // and the probe then reads the code right after it — still the stalled stretch.
  session.post('Runtime.evaluate', { expression: probe, silent: true, returnByValue: true }, (error, answer) => {
    busy = false
    // The probe landed inside a blocking call that had just returned ("again", AGAIN in
    // watchdog.ts): if the beat is still late, the code after the call is what stalls: look again.
    if (error === null && answer.result.value === 'again') handled = -1
  })
}

next()
