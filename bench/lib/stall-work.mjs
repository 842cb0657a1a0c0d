// What the two stall-probe benchmarks share (bench/stall-probe.mjs on the main thread,
// bench/stall-probe-worker.mjs in a worker thread): the thread's CPU clock, a calibrated stretch of
// synchronous work, the probe a mechanism has the stalled thread evaluate, and the 20,000 scripts.
import { openSync, readSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import vm from 'node:vm'

/** This thread's CPU time in ms (see src/runtime/thread-clock.ts). */
export const cpu = (() => {
  if (typeof process.threadCpuUsage === 'function') return () => { const u = process.threadCpuUsage(); return (u.user + u.system) / 1000 }
  const fd = openSync('/proc/thread-self/schedstat', 'r')
  const buf = Buffer.alloc(96)
  return () => { const n = readSync(fd, buf, 0, 96, 0); return Number(buf.latin1Slice(0, n).split(' ')[0]) / 1e6 }
})()

/** Synchronous work: `n` steps of arithmetic. */
export function work(n) {
  let x = 0
  for (let i = 0; i < n; i++) x = (x + Math.sqrt(i)) % 1e9
  return x
}

/** The number of `work` steps that take about `ms` on this thread now. */
export function calibrate(ms) {
  let n = 1e6
  for (let t = 0; t < ms; ) {
    n *= 2
    const s = performance.now()
    work(n)
    t = performance.now() - s
  }
  const s = performance.now()
  work(n)
  return Math.round((n * ms) / (performance.now() - s))
}

/** The expression a mechanism has the stalled thread evaluate, and the probe it calls there. */
export const PROBE_EXPRESSION = 'globalThis[Symbol.for("bench.probe")]()'
export function installProbe() {
  globalThis[Symbol.for('bench.probe')] = () => {
    const o = {}
    Error.captureStackTrace(o)
    return typeof o.stack === 'string' ? 'ok' : 'none'
  }
}

/** A promise-returning `post` of an inspector session. */
export function poster(session) {
  return (m, p = {}) => new Promise((res, rej) => session.post(m, p, (e, r) => (e ? rej(e) : res(r))))
}

/** Compiles and runs `count` small scripts (issue 11's reproduction of a process with many). */
export function loadScripts(count) {
  for (let i = 0; i < count; i++) new vm.Script(`function f${i}(a) { return a + ${i} }`, { filename: `bench-script-${i}.js` }).runInThisContext()
}

/** CPU ms `Profiler.start` takes on the session's thread; leaves the profiler stopped and disabled. */
export async function profilerStartMs(post) {
  const s = cpu()
  await post('Profiler.start')
  const ms = cpu() - s
  await post('Profiler.stop')
  await post('Profiler.disable')
  return ms
}

/** `measure()` with the scripts the process has, then again after loading 20,000: rows of `[label, result]`. */
export async function fewThenManyScripts(measure) {
  const rows = [['few', await measure()]]
  loadScripts(20_000)
  rows.push(['20,000', await measure()])
  return rows
}
