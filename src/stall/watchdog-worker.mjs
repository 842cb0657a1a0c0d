// @ts-check
// The stall watchdog's worker thread (docs/architecture.md, "stall"; started by watchdog.ts): one
// per process, started by (and on) the process's main thread, watching every thread of the process
// that runs loopcop — its targets. Each target shares memory with it: its heartbeat, its threshold,
// whether a scope is open. Once a target's beat is late by more than the threshold, the watchdog
// has that thread evaluate loopcop's probe over the inspector (`Runtime.evaluate`). Node hands
// inspector messages from other threads to a thread through V8's interrupt, which a running thread
// serves at its next function call or loop back-edge: the probe runs on top of the stalled code and
// records its stack and scope. No debugger is enabled, so nothing is paid per loaded script. Plain
// JavaScript so that it runs as it is from the sources and from both builds; type-checked through
// the JSDoc below. watchdog.ts starts it as a CommonJS script (`eval: true`, each `import … from
// 'node:…'` line below made a `require`), which spares the worker the ES module loader: keep to
// such imports of Node's own modules, one a line (anything else, and it starts from this file as a
// module).
//
// Targets register by sending their shared memory: the thread that started the watchdog in
// `workerData`, the others through a `BroadcastChannel` every thread of the process shares, which
// the main thread listens to and forwards here (watchdog.ts). One watchdog for the process, not one
// per thread: a thread's start costs ~20–30 ms of CPU, and Vitest's `threads` pool starts a thread
// per test file.
//
// Two ways to a target, both over `connectToMainThread()` sessions:
// - the process's main thread: `Runtime.evaluate` on a session connected for the probe and closed
//   once it answered (see `onMainThread`);
// - a worker thread: the main thread's inspector knows every worker of the process, nested ones
//   too (each registers with it through its parent), and its `NodeWorker` domain attaches a session
//   to each. For each target the watchdog enables it, keeps the session of that thread (told by
//   the `[worker <threadId>]` title Node gives it: the `workerId` of the protocol is a counter of
//   its own), detaches from the threads it does not watch and disables the domain again, so that
//   workers started later are left alone. Each probe is then a `NodeWorker.sendMessageToWorker`
//   carrying the `Runtime.evaluate`, and its answer a `NodeWorker.receivedMessageFromWorker`. The
//   main thread only relays the messages (two interrupts, served even while it runs JavaScript);
//   the watched worker enables nothing. When it exits, its session detaches and it is forgotten.
import inspector from 'node:inspector'
import { parentPort, workerData } from 'node:worker_threads'

/**
 * What a thread sends to be watched (`Registration` in watchdog.ts).
 * @typedef {object} Registration
 * @property {'register'} kind
 * @property {number} target the `threadId` of the thread (0: the main thread)
 * @property {SharedArrayBuffer} shared [last beat (`monotonicMs()`), threshold ms, how often to look (ms),
 *   1 when a debugger may be attached, the route: 0 connecting, 1 ready, 2 unreachable, 1 while a
 *   probe's session to the main thread is open, 1 while a wrapped call's original runs, the beat
 *   the last probe was sent for]
 * @property {SharedArrayBuffer} armed one Int32: 1 while a scope is open
 */

/**
 * A watched thread.
 * @typedef {object} Target
 * @property {number} id its `threadId`
 * @property {Float64Array} shared
 * @property {Int32Array} armed
 * @property {Evaluate | undefined} evaluate how to have it run the probe, once the way is known
 * @property {number} handled the beat a probe was last sent for (-1: none)
 * @property {boolean} busy a probe is on its way
 * @property {number} again how many probes in a row answered "again" for the beat `againFor`
 * @property {number} againFor the late beat those probes were sent for
 * @property {number} notBefore when the next probe may be sent (`monotonicMs()`), after an "again"
 * @property {number} reprobeAt when a stall that goes on (no newer beat than `handled`) is probed
 *   again: twice as late as at its last probe, so a long stall draws probes at 1, 2, 4, 8…
 *   thresholds late (unstorage: a package's 300 ms timer callback, then the test's own 300 ms loop
 *   in the same turn of the loop, was one stall whose one probe saw the package alone)
 */

/**
 * A way to have a watched thread evaluate the probe: calls `done` with the probe's answer
 * (`undefined` when there was none).
 * @typedef {(done: (answer: unknown) => void) => void} Evaluate
 */

/** Where things are in a target's shared memory, and the route's values (as in watchdog.ts). */
const LAST_BEAT = 0
const THRESHOLD = 1
const EVERY = 2
const DEBUGGER = 3
const ROUTE = 4
const SESSION = 5
/** 1 while a wrapped call's original runs on the thread (`IN_CALL` in runtime/guard.ts). */
const IN_CALL = 6
/**
 * The beat the last probe was sent for (`SENT_FOR` in watchdog.ts): served once the thread has beaten
 * since, the probe records nothing. Memory of an older loopcop may end before it.
 */
const SENT_FOR = 7
const READY = 1
const UNREACHABLE = 2


/**
 * Whether a value is a registration (shared memory of the right sizes, an integer thread id).
 * @param {unknown} value
 * @returns {value is Registration}
 */
function isRegistration(value) {
  const r = /** @type {Partial<Registration> | null | undefined} */ (value)
  return r?.kind === 'register' && Number.isInteger(r.target) && r.shared instanceof SharedArrayBuffer && r.shared.byteLength >= 5 * 8 && r.armed instanceof SharedArrayBuffer && r.armed.byteLength >= 4
}

/** @type {unknown} */
const given = workerData
const data = /** @type {{ registration?: unknown } | null | undefined} */ (given)
if (data?.registration !== undefined && !isRegistration(data.registration)) throw new TypeError('loopcop: the stall watchdog was started without its shared memory')

/**
 * The expression a watched thread evaluates: the probe watchdog.ts installed on its realm, or on
 * `process` where loopcop runs in a vm context of the thread (`Watchdog.#installOnThread`). Named
 * (`PROBE_SOURCE` in watchdog.ts), so that its frame is told from the stalled code's.
 */
const probe = '(() => { const k = Symbol.for("loopcop.stallProbe"); const p = globalThis[k] ?? globalThis.process?.[k]; return typeof p === "function" ? p() : "none" })()\n//# sourceURL=loopcop:stall-probe'
/** @type {inspector.Runtime.EvaluateParameterType} */
const evaluation = { expression: probe, silent: true, returnByValue: true }

/** @type {Map<number, Target>} */
const targets = new Map()

/** @type {inspector.Session | undefined} */
let session
/** Whether the session was tried (it is connected once, when first needed). */
let connected = false
/** Whether the inspector refused a session to the main thread (then it is not asked again). */
let refused = false

/**
 * A new session to the process's main thread; undefined when the inspector refuses (then it is
 * not asked again).
 * @returns {inspector.Session | undefined}
 */
function connectToMain() {
  if (refused) return undefined
  const s = new inspector.Session()
  try {
    s.connectToMainThread()
  } catch {
    refused = true
    return undefined
  }
  return s
}

/**
 * The session that relays probes to worker threads (the `NodeWorker` domain of the main thread's
 * inspector); undefined when the inspector refuses. Connected once, when a worker first registers.
 * @returns {inspector.Session | undefined}
 */
function mainSession() {
  if (connected) return session
  connected = true
  session = connectToMain()
  if (session !== undefined) relay(session)
  return session
}

/**
 * The main thread: the probe is evaluated on a session connected for it and closed once it
 * answered (a process that never stalls never connects). While any session is connected to a
 * thread, Node hands that thread's `console` calls to V8's inspector, which keeps the last 1,000
 * messages with the values logged (never collected while kept) and makes each call about twice as
 * slow: a session left open after the first stall did that to the rest of the process. Closing it
 * does not free what was kept; the main thread discards that once the flag below says the session
 * is closed (`Watchdog.beat` in watchdog.ts).
 * @param {Target} target
 * @returns {Evaluate}
 */
function onMainThread(target) {
  return (done) => {
    const s = connectToMain()
    if (s === undefined) {
      done(undefined)
      return
    }
    target.shared[SESSION] = 1
    s.post('Runtime.evaluate', evaluation, (error, answer) => {
      // Closed before the flag drops: the main thread serves the close (an interrupt) at its next
      // function call, so the session is gone before it discards what the session kept.
      s.disconnect()
      target.shared[SESSION] = 0
      done(error === null ? answer.result.value : undefined)
    })
  }
}

// ── worker threads, through the main thread's NodeWorker domain ─────────────────────────────────

/** The session the NodeWorker domain attached to each watched worker, by its `threadId`. */
/** @type {Map<number, string>} */
const attached = new Map()
/** Probes on their way to a worker, by message id: whom to answer, and through which session. */
/** @type {Map<number, { sessionId: string, done: (answer: unknown) => void }>} */
const waiting = new Map()
let nextId = 0
/** Targets waiting for their way to be found (one `NodeWorker.enable` at a time). */
/** @type {Promise<void>} */
let finding = Promise.resolve()

/**
 * A reply of a watched worker's inspector to a `Runtime.evaluate`: its id and the value it gave.
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
 * Listens to the NodeWorker domain's events on the session: keeps the sessions of watched workers,
 * detaches from the others, hands answers back, forgets a worker that exits.
 * @param {inspector.Session} s
 */
function relay(s) {
  s.on('NodeWorker.attachedToWorker', ({ params }) => {
    const id = Number(/^\[worker (\d+)\]/.exec(params.workerInfo.title)?.[1])
    if (targets.has(id) && !attached.has(id)) attached.set(id, params.sessionId)
    else if (attached.get(id) !== params.sessionId) s.post('NodeWorker.detach', { sessionId: params.sessionId }, () => {})
  })
  s.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
    const message = reply(params.message)
    const entry = message === undefined ? undefined : waiting.get(message.id)
    if (message === undefined || entry === undefined || entry.sessionId !== params.sessionId) return
    waiting.delete(message.id)
    entry.done(message.value)
  })
  s.on('NodeWorker.detachedFromWorker', ({ params }) => {
    // A watched worker is gone (it is exiting): nothing left to probe.
    for (const [id, sessionId] of attached) {
      if (sessionId !== params.sessionId) continue
      attached.delete(id)
      const target = targets.get(id)
      if (target !== undefined) {
        target.shared[ROUTE] = UNREACHABLE
        targets.delete(id)
      }
    }
    for (const [messageId, entry] of waiting) {
      if (entry.sessionId !== params.sessionId) continue
      waiting.delete(messageId)
      entry.done(undefined)
    }
  })
}

/**
 * Finds the way to a worker target: attaches to every worker running, keeps the target's session.
 * Says in the target's shared memory whether there is one.
 * @param {Target} target
 */
function findWorker(target) {
  finding = finding.then(
    () =>
      new Promise((resolve) => {
        const s = mainSession()
        if (s === undefined || targets.get(target.id) !== target) {
          if (targets.get(target.id) === target) unreachable(target)
          resolve(undefined)
          return
        }
        // Node attaches every worker already running before it answers `enable`.
        s.post('NodeWorker.enable', { waitForDebuggerOnStart: false }, (error) => {
          // Workers started from now on are not attached; the sessions attached so far stay.
          s.post('NodeWorker.disable', () => {})
          const sessionId = attached.get(target.id)
          if (error !== null || sessionId === undefined) unreachable(target)
          else {
            target.evaluate = throughMainThread(s, sessionId)
            target.shared[ROUTE] = READY
          }
          resolve(undefined)
        })
      }),
  )
}

/** @param {Target} target */
function unreachable(target) {
  target.shared[ROUTE] = UNREACHABLE
  targets.delete(target.id)
}

/**
 * The probe, relayed by the main thread to the worker of `sessionId`.
 * @param {inspector.Session} s
 * @param {string} sessionId
 * @returns {Evaluate}
 */
function throughMainThread(s, sessionId) {
  return (done) => {
    const id = ++nextId
    waiting.set(id, { sessionId, done })
    const message = JSON.stringify({ id, method: 'Runtime.evaluate', params: evaluation })
    s.post('NodeWorker.sendMessageToWorker', { sessionId, message }, (sendError) => {
      if (sendError === null || !waiting.delete(id)) return
      done(undefined)
    })
  }
}

// ── targets ───────────────────────────────────────────────────────────────────────────────────

/**
 * Starts watching a thread (one that registers again with the same memory is already watched).
 * @param {Registration} registration
 */
function register(registration) {
  const known = targets.get(registration.target)
  if (known !== undefined && known.shared.buffer === registration.shared) return
  /** @type {Target} */
  const target = { id: registration.target, shared: new Float64Array(registration.shared), armed: new Int32Array(registration.armed), evaluate: undefined, handled: -1, busy: false, again: 0, againFor: -1, notBefore: 0, reprobeAt: 0 }
  targets.set(target.id, target)
  if (target.id === 0) {
    target.evaluate = onMainThread(target)
    target.shared[ROUTE] = READY
  } else {
    // The way is found now, so that the watched thread knows early whether it needs its own sampler
    // instead (watchdog.ts).
    const old = attached.get(target.id)
    if (old !== undefined && known !== undefined) {
      // The same thread with new memory (its detector started again): the way stays.
      target.evaluate = known.evaluate
      target.shared[ROUTE] = READY
    } else findWorker(target)
  }
  wake()
}

// ── looking ───────────────────────────────────────────────────────────────────────────────────

/** Ends the current sleep (a target armed, or registered). */
let wake = () => {}

function next() {
  let wait = Infinity
  for (const t of targets.values()) {
    if (!t.busy && Atomics.load(t.armed, 0) !== 1) continue
    // Several threads registered (Vitest's `threads`): a tenth of each threshold, as a thread that
    // arms (or arms a lower threshold) while the watchdog sleeps on another cannot wake it (below).
    wait = Math.min(wait, targets.size === 1 ? untilLate(t) : t.shared[EVERY] || 10)
  }
  // Some scope open: look again when its thread's last beat will be late by the threshold, unless
  // a newer beat comes first (then sleep on, to the new one's). A thread that beats on time wakes
  // the watchdog once a threshold less a beat (~80 ms at the default 100), where looking every
  // tenth of it cost an open scope ~20 ms of CPU a second (axios's tests waiting on timers: twice
  // their CPU). None open: sleep until one opens (or a thread registers), waking once a second at
  // most, so the watchdog costs no CPU between tests.
  if (wait !== Infinity) doze(wait).then(check, check)
  else sleep().then(check, check)
}

/**
 * Sleeps `ms`, or less when the one registered thread, armed, arms a lower threshold (a scope of
 * its own `stallMs`: `arm` notifies then). With several registered, it sleeps the time.
 * @param {number} ms
 * @returns {Promise<unknown>}
 */
function doze(ms) {
  const [only] = targets.size === 1 ? targets.values() : []
  if (only !== undefined && Atomics.load(only.armed, 0) === 1) {
    const result = Atomics.waitAsync(only.armed, 0, 1, ms)
    return result.async ? result.value : Promise.resolve()
  }
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * How long to sleep before looking at a watched thread again, in ms: until its last beat is late by
 * its threshold (a millisecond after: a timer's clock is coarser than the beats'), or a tenth of it
 * while a probe is on its way or the stall it was sent for goes on (no newer beat), and when the
 * thread cannot be probed.
 * @param {Target} t
 * @returns {number}
 */
function untilLate(t) {
  const every = t.shared[EVERY] || 10
  const last = t.shared[LAST_BEAT] ?? 0
  if (t.busy || t.evaluate === undefined || last === t.handled) return every
  // Inside a blocking call: that time is the call's own finding, and the thread is not probed (V8
  // would serve the probe inside an `Atomics.wait`, again and again). A stall after the call (a
  // threshold of code of its own) still runs when the watchdog looks half a threshold later.
  if (t.shared[IN_CALL] === 1) return Math.max(every, (t.shared[THRESHOLD] ?? 0) / 2)
  const at = monotonicMs()
  const late = last + (t.shared[THRESHOLD] ?? 0) - at
  return Math.max(every / 5, Math.ceil(Math.max(late, t.againFor === last ? t.notBefore - at : 0)) + 1)
}

/**
 * How long to wait before probing a thread again whose probes answered "again" `times` in a row
 * for the same late beat: it is in a module's loading that goes on (or in loopcop's own work
 * around a blocking call). Asked every few ms, a long load drew a probe each time. Each "again"
 * doubles the wait, from a fifth of how often the watchdog looks up to half the threshold: once
 * the loading is over, a stall after it (a threshold of its own code) still runs when the probe
 * comes.
 * @param {Target} t
 * @param {number} times
 * @returns {number}
 */
function againIn(t, times) {
  const first = (t.shared[EVERY] || 10) / 5
  return Math.min(Math.max(first, (t.shared[THRESHOLD] ?? 0) / 2), first * 2 ** (times - 1))
}

/**
 * Resolves once a target arms or a thread registers, or after a second.
 * @returns {Promise<unknown>}
 */
function sleep() {
  /** @type {Promise<unknown>[]} */
  const wakes = [new Promise((resolve) => (wake = () => resolve(undefined)))]
  for (const t of targets.values()) {
    const result = Atomics.waitAsync(t.armed, 0, 0, 1000)
    if (!result.async) return Promise.resolve()
    wakes.push(result.value)
  }
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer
  wakes.push(new Promise((resolve) => (timer = setTimeout(resolve, 1000))))
  return Promise.race(wakes).finally(() => {
    clearTimeout(timer)
    wake = () => {}
  })
}

function check() {
  try {
    for (const t of targets.values()) look(t)
  } finally {
    next()
  }
}

/**
 * Milliseconds of the system's monotonic clock, as the watched threads write their beats
 * (`monotonicNow` in runtime/clock.ts): the same clock in every thread, whatever the wall clock does.
 * @returns {number}
 */
function monotonicMs() {
  return Number(process.hrtime.bigint()) / 1e6
}

/** @param {Target} t */
function look(t) {
  if (t.busy || t.evaluate === undefined || Atomics.load(t.armed, 0) === 0 || t.shared[DEBUGGER] === 1 || t.shared[IN_CALL] === 1) return
  const last = /** @type {number} */ (t.shared[LAST_BEAT])
  const at = monotonicMs()
  if ((last === t.handled && at < t.reprobeAt) || at - last < /** @type {number} */ (t.shared[THRESHOLD]) || (t.againFor === last && at < t.notBefore)) return
  t.handled = last
  t.reprobeAt = last + 2 * (at - last)
  t.busy = true
  if (t.shared.length > SENT_FOR) t.shared[SENT_FOR] = last
  // No time limit: a long native call (a huge JSON.parse) serves the interrupt when it returns,
  // and the probe then reads the code right after it — still the stalled stretch.
  t.evaluate((answer) => {
    t.busy = false
    // The probe landed inside a blocking call that had just returned ("again", AGAIN in
    // watchdog.ts): if the beat is still late, the code after the call is what stalls: look again.
    // One served once the thread had beaten since ("stale") recorded nothing: the new beat is
    // looked at as any.
    if (answer === 'again') {
      t.again = t.againFor === last ? t.again + 1 : 1
      t.againFor = last
      t.notBefore = monotonicMs() + againIn(t, t.again)
      t.handled = -1
    }
  })
}

if (data?.registration !== undefined) register(/** @type {Registration} */ (data.registration))
// The others, forwarded by the main thread.
parentPort?.on('message', (message) => {
  if (isRegistration(message)) register(message)
})
next()
