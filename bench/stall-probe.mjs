/* global setInterval */
// `node bench/stall-probe.mjs [rounds]`: what catching one stall's stack costs the stalled test,
// per mechanism, with few and with 20,000 loaded scripts (issue 11). A benchmark, not a test.
//
// Each round runs a fixed amount of synchronous work (≈150 ms) on the main thread and, 40 ms in,
// has a worker read its stack by one mechanism; the cost is the main thread's CPU time for the
// round minus the same work's without any probe (alternating, medians; CPU time, not wall time, so
// that a loaded machine does not drown the difference). Mechanisms:
//   - pause: Debugger.enable + Debugger.pause + evaluateOnCallFrame + resume + disable (loopcop ≤ 0.1);
//   - enabled: the same with the debugger kept enabled across stalls (enable paid once, up front);
//   - evaluate: Runtime.evaluate of the probe, served by V8's interrupt mid-stretch (no debugger);
//   - sampler: V8's sampling profiler on the main thread, 5 ms, stopped and restarted to read.
// Then the steady cost of what the mechanism keeps on: 10,000 `await setImmediate()` with the
// debugger enabled / the profiler sampling, against nothing.
import { Worker } from 'node:worker_threads'
import inspector from 'node:inspector'
import { setImmediate as tick } from 'node:timers/promises'
import { median } from '../scripts/lib/measure.mjs'
import { PROBE_EXPRESSION, calibrate, cpu, fewThenManyScripts, installProbe, poster, profilerStartMs, work } from './lib/stall-work.mjs'

const ROUNDS = Number(process.argv[2] ?? 7)

installProbe()

const worker = new Worker(
  `
const inspector = require('node:inspector')
const { parentPort } = require('node:worker_threads')
const probe = '${PROBE_EXPRESSION}'
let kept
parentPort.on('message', ({ how, delay }) => {
  setTimeout(() => {
    const s = kept ?? new inspector.Session()
    if (kept === undefined) s.connectToMainThread()
    const end = () => { if (s !== kept) s.disconnect(); parentPort.postMessage('done') }
    if (how === 'keep') { kept = s; s.post('Debugger.enable', () => parentPort.postMessage('done')); return }
    if (how === 'unkeep') { kept = undefined; s.post('Debugger.disable', () => { s.disconnect(); parentPort.postMessage('done') }); return }
    if (how === 'evaluate') { s.post('Runtime.evaluate', { expression: probe, silent: true, returnByValue: true }, end); return }
    s.once('Debugger.paused', (m) => {
      s.post('Debugger.evaluateOnCallFrame', { callFrameId: m.params.callFrames[0].callFrameId, expression: probe, silent: true, returnByValue: true }, () => {
        s.post('Debugger.resume', () => (how === 'pause' ? s.post('Debugger.disable', end) : end()))
      })
    })
    if (how === 'pause') s.post('Debugger.enable')
    s.post('Debugger.pause')
  }, delay)
})`,
  { eval: true },
)
const ask = (how, delay = 0) => new Promise((resolve) => { worker.once('message', resolve); worker.postMessage({ how, delay }) })

const n = calibrate(150)

// A pause asked for after the work ended lands at the next JS the thread runs: keep some running,
// or the thread would wait for the worker's answer while the worker waits for the pause.
setInterval(() => {}, 5).unref()

const session = new inspector.Session()
session.connect()
const post = poster(session)

async function stalled(how) {
  const done = how === 'none' ? undefined : how === 'sampler' ? undefined : ask(how, 40)
  await new Promise((r) => setTimeout(r, 5))
  const s = cpu()
  if (how === 'sampler') await post('Profiler.start')
  work(n)
  if (how === 'sampler') {
    await post('Profiler.stop')
    await post('Profiler.start')
  }
  if (how === 'sampler') await post('Profiler.stop')
  await done
  return cpu() - s
}

async function steady(how) {
  if (how === 'enabled') await ask('keep')
  if (how === 'sampler') await post('Profiler.start')
  const s = cpu()
  for (let i = 0; i < 10_000; i++) await tick()
  const ms = cpu() - s
  if (how === 'enabled') await ask('unkeep')
  if (how === 'sampler') await post('Profiler.stop')
  return ms
}

async function measure() {
  const out = {}
  const kinds = ['none', 'pause', 'enabled', 'evaluate', 'sampler']
  const times = Object.fromEntries(kinds.map((k) => [k, []]))
  await post('Profiler.enable')
  await post('Profiler.setSamplingInterval', { interval: 5000 })
  for (let r = 0; r < ROUNDS; r++) {
    for (const k of kinds) {
      if (k === 'enabled') await ask('keep')
      times[k].push(await stalled(k))
      if (k === 'enabled') await ask('unkeep')
    }
  }
  for (const k of kinds) out[k] = median(times[k]) - median(times.none)
  const st = { none: [], enabled: [], sampler: [] }
  for (let r = 0; r < ROUNDS; r++) for (const k of Object.keys(st)) st[k].push(await steady(k))
  out.steadyEnabled = median(st.enabled) / median(st.none)
  out.steadySampler = median(st.sampler) / median(st.none)
  // Enabling the debugger once with this many scripts, and starting the profiler (the up-front costs).
  const s = cpu()
  await ask('keep')
  out.enableOnce = cpu() - s
  await ask('unkeep')
  out.profilerStart = await profilerStartMs(post)
  return out
}

const rows = await fewThenManyScripts(measure)
console.log(`Node ${process.versions.node}, ${ROUNDS} rounds, a 150 ms stall; main-thread CPU ms added to the stall, and the ratio of CPU for 10,000 awaits`)
console.log('scripts  pause     enabled      evaluate      sampler  steady enabled  steady sampler  enable once(ms)  profiler start(ms)')
for (const [label, r] of rows) {
  const f = (x) => x.toFixed(1).padStart(9)
  console.log(`${label.padEnd(7)} ${f(r.pause)}  ${f(r.enabled)}    ${f(r.evaluate)}   ${f(r.sampler)}     ${r.steadyEnabled.toFixed(2)}×          ${r.steadySampler.toFixed(2)}×         ${f(r.enableOnce)}        ${f(r.profilerStart)}`)
}
await worker.terminate()
