/* global setInterval */
// `node bench/stall-probe-worker.mjs [rounds]`: what catching one stall's stack costs a stalled
// *worker thread* (Vitest's `threads` pool), per mechanism, with few and with 20,000 loaded
// scripts (issue 11). A benchmark, not a test; bench/stall-probe.mjs is its main-thread twin.
//
// The main thread only starts a "test worker" and stays idle, as Vitest's does between files. The
// test worker runs a fixed amount of synchronous work (≈150 ms) and, 40 ms in, has its stack read
// by one mechanism; the cost is the test worker's CPU time for the round minus the same work's
// without any probe (alternating, medians). Mechanisms:
//   - relay: a watchdog worker started by the test worker connects to the main thread
//     (`connectToMainThread`), finds the test worker with `NodeWorker.enable` and keeps only its
//     session, then sends `Runtime.evaluate` of the probe through `NodeWorker.sendMessageToWorker`:
//     served by V8's interrupt in the test worker, mid-stretch (what loopcop does);
//   - sampler: V8's sampling profiler in the test worker, 5 ms, stopped and restarted to read (what
//     loopcop did before).
// Then the steady cost of what each keeps on (10,000 `await setImmediate()` in the test worker with
// the relay's session attached / the profiler sampling, against nothing), and the one-offs: the test
// worker's CPU while the watchdog finds it (the main thread attaches a session to every worker,
// then detaches all but one), and `Profiler.start`.
import { Worker, isMainThread, workerData, parentPort, threadId } from 'node:worker_threads'
import inspector from 'node:inspector'
import { setImmediate as tick } from 'node:timers/promises'
import { median } from '../scripts/lib/measure.mjs'
import { PROBE_EXPRESSION, calibrate, cpu, fewThenManyScripts, installProbe, poster, profilerStartMs, work } from './lib/stall-work.mjs'

const ROUNDS = Number(process.argv[2] ?? 9)

// The watchdog: the relay through the main thread, as src/stall/watchdog-worker.mjs does it.
const WATCHDOG = `
const inspector = require('node:inspector')
const { parentPort, workerData } = require('node:worker_threads')
const probe = '${PROBE_EXPRESSION}'
const s = new inspector.Session()
s.connectToMainThread()
let kept
let id = 0
const waiting = new Map()
s.on('NodeWorker.attachedToWorker', ({ params }) => {
  if (Number(/^\\[worker (\\d+)\\]/.exec(params.workerInfo.title)?.[1]) === workerData.target && kept === undefined) kept = params.sessionId
  else s.post('NodeWorker.detach', { sessionId: params.sessionId })
})
s.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
  const m = JSON.parse(params.message)
  waiting.get(m.id)?.()
  waiting.delete(m.id)
})
s.post('NodeWorker.enable', { waitForDebuggerOnStart: false }, () => {
  s.post('NodeWorker.disable')
  parentPort.postMessage(kept === undefined ? 'unreachable' : 'ready')
})
parentPort.on('message', ({ delay }) => {
  setTimeout(() => {
    const n = ++id
    waiting.set(n, () => parentPort.postMessage('done'))
    s.post('NodeWorker.sendMessageToWorker', { sessionId: kept, message: JSON.stringify({ id: n, method: 'Runtime.evaluate', params: { expression: probe, silent: true, returnByValue: true } }) })
  }, delay)
})`

if (isMainThread) {
  const w = new Worker(new URL(import.meta.url), { workerData: { rounds: ROUNDS } })
  w.on('message', (m) => console.log(m))
  w.on('error', (e) => { console.error(e); process.exitCode = 1 })
} else {
  installProbe()
  const n = calibrate(150)
  // A probe asked for after the work ended lands at the next JS the thread runs.
  setInterval(() => {}, 5).unref()

  const session = new inspector.Session()
  session.connect()
  const post = poster(session)

  /** Starts a watchdog; resolves with it and the test worker's CPU spent while it found this thread. */
  async function startWatchdog() {
    const wd = new Worker(WATCHDOG, { eval: true, workerData: { target: threadId } })
    const s = cpu()
    const route = await new Promise((resolve) => wd.once('message', resolve))
    if (route !== 'ready') throw new Error(`the watchdog found no way to thread ${threadId}`)
    return { wd, attachCpu: cpu() - s }
  }
  const ask = (wd, delay) => new Promise((resolve) => { wd.once('message', resolve); wd.postMessage({ delay }) })

  async function stalled(how, wd) {
    const done = how === 'relay' ? ask(wd, 40) : undefined
    await new Promise((r) => setTimeout(r, 5))
    const s = cpu()
    if (how === 'sampler') await post('Profiler.start')
    work(n)
    if (how === 'sampler') {
      await post('Profiler.stop')
      await post('Profiler.start')
      await post('Profiler.stop')
    }
    await done
    return cpu() - s
  }

  /** Lets the start or end of a watchdog (its messages, its garbage) pass before a steady measure. */
  async function settle() {
    await new Promise((r) => setTimeout(r, 50))
    globalThis.gc?.()
  }

  async function steady() {
    const s = cpu()
    for (let i = 0; i < 10_000; i++) await tick()
    return cpu() - s
  }

  async function measure() {
    const out = {}
    await post('Profiler.enable')
    await post('Profiler.setSamplingInterval', { interval: 5000 })
    // The one-off of finding this thread, over a few starts (the median).
    const attach = []
    for (let i = 0; i < 5; i++) {
      const { wd, attachCpu } = await startWatchdog()
      attach.push(attachCpu)
      await wd.terminate()
    }
    out.attach = median(attach)
    const { wd } = await startWatchdog()
    const kinds = ['none', 'relay', 'sampler']
    const times = Object.fromEntries(kinds.map((k) => [k, []]))
    for (let r = 0; r < ROUNDS; r++) for (const k of kinds) times[k].push(await stalled(k, wd))
    for (const k of kinds) out[k] = median(times[k]) - median(times.none)
    await wd.terminate()
    // Steady, alternating: with the relay's session attached (a watchdog alive), without, sampling.
    const st = { attached: [], none: [], sampler: [] }
    for (let r = 0; r < ROUNDS; r++) {
      const { wd: alive } = await startWatchdog()
      await settle()
      st.attached.push(await steady())
      await alive.terminate()
      await settle()
      st.none.push(await steady())
      await post('Profiler.start')
      st.sampler.push(await steady())
      await post('Profiler.stop')
    }
    out.steadyAttached = median(st.attached) / median(st.none)
    out.steadySampler = median(st.sampler) / median(st.none)
    out.profilerStart = await profilerStartMs(post)
    return out
  }

  const rows = await fewThenManyScripts(measure)
  const f = (x) => x.toFixed(1).padStart(8)
  const lines = [
    `Node ${process.versions.node}, in a worker thread, ${workerData.rounds} rounds, a 150 ms stall; the test worker's CPU ms added to the stall, and the ratio of its CPU for 10,000 awaits`,
    'scripts     relay   sampler  steady attached  steady sampler  find the thread(ms)  profiler start(ms)',
    ...rows.map(([label, r]) => `${label.padEnd(7)} ${f(r.relay)}  ${f(r.sampler)}      ${r.steadyAttached.toFixed(2)}×          ${r.steadySampler.toFixed(2)}×        ${f(r.attach)}             ${f(r.profilerStart)}`),
  ]
  parentPort.postMessage(lines.join('\n'))
  session.disconnect()
}
