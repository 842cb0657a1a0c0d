// @ts-check
// The stall watchdog's worker thread (docs/architecture.md, "stall"; started by watchdog.ts). It
// watches a thread's heartbeat through shared memory and, once the beat is late by more than the
// threshold, has that thread evaluate loopcop's probe over the inspector (`Runtime.evaluate`).
// Node hands inspector messages from other threads to a thread through V8's interrupt, which a
// running thread serves at its next function call or loop back-edge: the probe runs on top of the
// stalled code and records its stack and scope. No debugger is enabled, so nothing is paid per
// loaded script. Plain JavaScript so that it runs as it is from the sources and from both builds;
// type-checked through the JSDoc below. watchdog.ts starts it as a CommonJS script (`eval: true`,
// each `import … from 'node:…'` line below made a `require`), which spares the worker the ES module
// loader: keep to such imports of Node's own modules, one a line (anything else, and it starts from
// this file as a module).
//
// Two ways to the watched thread, both over a `connectToMainThread()` session:
// - the process's main thread: `Runtime.evaluate` on the session itself;
// - a worker thread (Vitest's `threads` pool): the main thread's inspector knows every worker of
//   the process, nested ones too (each registers with it through its parent), and its `NodeWorker`
//   domain attaches a session to each. The watchdog enables it once, keeps the session of the
//   thread it watches (told by the `[worker <threadId>]` title Node gives it: the `workerId` of the
//   protocol is a counter of its own), detaches from the others and disables the domain again, so
//   that workers started later are left alone. Each probe is then a
//   `NodeWorker.sendMessageToWorker` carrying the `Runtime.evaluate`, and its answer a
//   `NodeWorker.receivedMessageFromWorker`. The main thread only relays the messages (two
//   interrupts, served even while it runs JavaScript); the watched worker enables nothing.
import inspector from 'node:inspector'
import { performance } from 'node:perf_hooks'
import { workerData } from 'node:worker_threads'

/**
 * The memory shared with the watched thread (see `Watchdog` in watchdog.ts).
 * @typedef {object} WatchdogData
 * @property {SharedArrayBuffer} shared [last beat (epoch ms), threshold ms, how often to look (ms),
 *   1 when a debugger may be attached, the route: 0 connecting, 1 ready, 2 unreachable]
 * @property {SharedArrayBuffer} armed one Int32: 1 while a scope is open
 * @property {number} target the `threadId` of the thread to probe (0: the main thread)
 */

/** Where the route's state is in the shared memory, and its values (`ROUTE` in watchdog.ts). */
const ROUTE = 4
const READY = 1
const UNREACHABLE = 2

/**
 * The shared memory watchdog.ts hands the worker, checked.
 * @param {unknown} value
 * @returns {WatchdogData}
 */
function watchdogData(value) {
  const { shared, armed, target = 0 } = /** @type {Partial<WatchdogData>} */ (value ?? {})
  if (!(shared instanceof SharedArrayBuffer) || !(armed instanceof SharedArrayBuffer) || !Number.isInteger(target)) throw new TypeError('loopcop: the stall watchdog was started without its shared memory')
  return { shared, armed, target }
}

const data = watchdogData(workerData)
const shared = new Float64Array(data.shared)
const armed = new Int32Array(data.armed)
/**
 * The expression the watched thread evaluates: the probe watchdog.ts installed on its realm. Named
 * (`PROBE_SOURCE` in watchdog.ts), so that its frame is told from the stalled code's.
 */
const probe = 'globalThis[Symbol.for("loopcop.stallProbe")] ? globalThis[Symbol.for("loopcop.stallProbe")]() : "none"\n//# sourceURL=loopcop:stall-probe'
/** @type {inspector.Runtime.EvaluateParameterType} */
const evaluation = { expression: probe, silent: true, returnByValue: true }

/**
 * A way to have the watched thread evaluate the probe: calls `done` with the probe's answer
 * (`undefined` when there was none).
 * @typedef {(done: (answer: unknown) => void) => void} Evaluate
 */

/** @type {Evaluate | undefined} */
let evaluate
let handled = -1
let busy = false

/**
 * Connects a session to the process's main thread; undefined when the inspector refuses.
 * @returns {inspector.Session | undefined}
 */
function connect() {
  const session = new inspector.Session()
  try {
    session.connectToMainThread()
    return session
  } catch {
    return undefined
  }
}

/**
 * The main thread: the probe is evaluated on the session itself, connected at the first stall (a
 * process that never stalls never connects).
 * @returns {Evaluate}
 */
function onMainThread() {
  /** @type {inspector.Session | undefined} */
  let session
  return (done) => {
    session ??= connect()
    if (session === undefined) done(undefined)
    else session.post('Runtime.evaluate', evaluation, (error, answer) => done(error === null ? answer.result.value : undefined))
  }
}

/**
 * A reply of the watched worker's inspector to a `Runtime.evaluate`: its id and the value it gave.
 * @param {string} text
 * @returns {{ id: number, value: unknown } | undefined}
 */
function reply(text) {
  try {
    /** @type {unknown} */
    const parsed = JSON.parse(text)
    const message = /** @type {{ id?: unknown, result?: { result?: { value?: unknown } } }} */ (parsed)
    return typeof message.id === 'number' ? { id: message.id, value: message.result?.result?.value } : undefined
  } catch {
    return undefined
  }
}

/**
 * A worker thread, through the main thread's `NodeWorker` domain (see the top of this file).
 * Resolves to undefined when the worker is not among those the main thread knows.
 * @param {inspector.Session} session
 * @param {number} target
 * @returns {Promise<Evaluate | undefined>}
 */
function throughMainThread(session, target) {
  return new Promise((resolve) => {
    /** @type {string | undefined} */
    let kept
    let nextId = 0
    /** @type {Map<number, (answer: unknown) => void>} */
    const waiting = new Map()
    const settle = () => {
      for (const done of waiting.values()) done(undefined)
      waiting.clear()
    }
    session.on('NodeWorker.attachedToWorker', ({ params }) => {
      const id = Number(/^\[worker (\d+)\]/.exec(params.workerInfo.title)?.[1])
      if (id === target && kept === undefined) kept = params.sessionId
      else session.post('NodeWorker.detach', { sessionId: params.sessionId }, () => {})
    })
    session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
      if (params.sessionId !== kept) return
      const message = reply(params.message)
      const done = message === undefined ? undefined : waiting.get(message.id)
      if (message === undefined || done === undefined) return
      waiting.delete(message.id)
      done(message.value)
    })
    session.on('NodeWorker.detachedFromWorker', ({ params }) => {
      if (params.sessionId !== kept) return
      // The watched worker is gone (it is exiting): nothing left to probe.
      kept = undefined
      shared[ROUTE] = UNREACHABLE
      settle()
    })
    // Node attaches every worker already running before it answers `enable`.
    session.post('NodeWorker.enable', { waitForDebuggerOnStart: false }, (error) => {
      // Workers started from now on are not attached; the sessions attached so far stay.
      session.post('NodeWorker.disable', () => {})
      if (error !== null || kept === undefined) {
        resolve(undefined)
        return
      }
      resolve((done) => {
        const sessionId = kept
        if (sessionId === undefined) {
          done(undefined)
          return
        }
        const id = ++nextId
        waiting.set(id, done)
        const message = JSON.stringify({ id, method: 'Runtime.evaluate', params: evaluation })
        session.post('NodeWorker.sendMessageToWorker', { sessionId, message }, (sendError) => {
          if (sendError === null || !waiting.delete(id)) return
          done(undefined)
        })
      })
    })
  })
}

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
  if (busy || evaluate === undefined || Atomics.load(armed, 0) === 0 || shared[3] === 1) return
  const last = /** @type {number} */ (shared[0])
  if (last === handled || performance.timeOrigin + performance.now() - last < /** @type {number} */ (shared[1])) return
  handled = last
  busy = true
  // No time limit: a long native call (a huge JSON.parse) serves the interrupt when it returns,
  // and the probe then reads the code right after it — still the stalled stretch.
  evaluate((answer) => {
    busy = false
    // The probe landed inside a blocking call that had just returned ("again", AGAIN in
    // watchdog.ts): if the beat is still late, the code after the call is what stalls: look again.
    if (answer === 'again') handled = -1
  })
}

/** Opens the way to the watched thread, and says in the shared memory whether there is one. */
async function open() {
  if (data.target === 0) {
    evaluate = onMainThread()
    shared[ROUTE] = READY
    return
  }
  // A worker: the way is found now, so that the watched thread knows early whether it needs its
  // own sampler instead (watchdog.ts). One session for the life of the watchdog.
  const session = connect()
  evaluate = session === undefined ? undefined : await throughMainThread(session, data.target)
  if (evaluate === undefined) session?.disconnect()
  shared[ROUTE] = evaluate === undefined ? UNREACHABLE : READY
}

void open()
next()
