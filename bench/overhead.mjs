// loopcop's overhead benchmark: the five scenarios of aiocop's benchmark page, ported
// (DESIGN.md "Performance budget"). A benchmark, not a test: it prints figures, asserts nothing.
//
//   npm run bench                 (builds, then runs this with --expose-gc)
//   node --expose-gc bench/overhead.mjs --runs 21
//
// Overhead per task = (median with loopcop − median without) / tasks, in µs. "With loopcop":
// interceptors installed, a test scope active, mode 'warn', traceDepth 5, findings collected and
// the scope ended (stack formatting included) inside the timed region. "Without": interceptors
// removed. Runs alternate so the machine's drift hits both sides alike.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { median } from '../scripts/lib/measure.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const loopcop = await import(path.join(here, '..', 'dist', 'esm', 'src', 'index.js'))
const internal = await import(path.join(here, '..', 'dist', 'esm', 'src', 'integration.js'))
/** Where a benchmark test's results go: nowhere (the "no-op reporter" of DESIGN.md's method). */
const quiet = { record() {}, print() {}, leak() {} }

const args = process.argv.slice(2)
const flag = (name, fallback) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const RUNS = flag('--runs', 15)
const gc = globalThis.gc ?? (() => {})

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopcop-bench-'))
const small = path.join(dir, 'small.txt')
fs.writeFileSync(small, 'x'.repeat(512))
const missing = path.join(dir, 'missing')

/** aiocop's figures on this kind of machine (µs per task, medians of 3 runs), from DESIGN.md. */
const scenarios = [
  { name: 'Pure async (no blocking)', tasks: 10_000, aiocop: 16, task: async () => { await tick() } },
  { name: 'Trivial blocking (existsSync)', tasks: 5_000, aiocop: 26, task: async () => { fs.existsSync(missing); await tick() } },
  { name: 'Light blocking (statSync)', tasks: 5_000, aiocop: 26, task: async () => { fs.statSync('.'); await tick() } },
  { name: 'Moderate blocking (readFileSync)', tasks: 2_000, aiocop: 30, task: async () => { fs.readFileSync(small); await tick() } },
  {
    name: 'Realistic handler (1ms+2 calls+1ms)',
    tasks: 500,
    aiocop: 51,
    task: async () => {
      await sleep(1)
      fs.existsSync(missing)
      fs.statSync('.')
      await sleep(1)
    },
  },
]

async function runTasks(s) {
  const all = new Array(s.tasks)
  for (let i = 0; i < s.tasks; i++) all[i] = s.task()
  await Promise.all(all)
}

/**
 * One timed run. With `scopes` > 1 the tasks are shared out over that many test scopes running
 * concurrently (as under describe.concurrent), so each scope sees ≤100 calls of an operation and
 * every call keeps its stack, while the concurrency of the scenario stays the same.
 */
async function timed(s, withLoopcop, scopes = 1, stallMs = 0) {
  gc()
  if (!withLoopcop) {
    loopcop.deactivate()
    const t0 = performance.now()
    await runTasks(s)
    return performance.now() - t0
  }
  loopcop.activate()
  const per = { ...s, tasks: Math.ceil(s.tasks / scopes) }
  const t0 = performance.now()
  const opened = []
  for (let i = 0; i < scopes; i++) opened.push(internal.openTest({ name: `bench ${i}` }, { overrides: { mode: 'warn', traceDepth: 5, stallMs } }, quiet))
  await Promise.all(opened.map((test) => test.run(() => runTasks(per))))
  for (const test of opened) test.end(false)
  return performance.now() - t0
}

async function measure(s, scopes, stallMs = 0) {
  for (let i = 0; i < 3; i++) {
    await timed(s, false)
    await timed(s, true, scopes, stallMs)
  }
  const off = []
  const on = []
  for (let i = 0; i < RUNS; i++) {
    off.push(await timed(s, false))
    on.push(await timed(s, true, scopes, stallMs))
  }
  const offMs = median(off)
  const onMs = median(on)
  return { offMs, onMs, perTaskUs: ((onMs - offMs) * 1000) / s.tasks }
}

const pad = (v, n) => String(v).padStart(n)
const fmt = (x, d = 2) => x.toFixed(d)

function table(title, rows) {
  console.log(`\n${title}`)
  console.log(`${'scenario'.padEnd(38)}${pad('tasks', 7)}${pad('without', 11)}${pad('with', 11)}${pad('µs/task', 10)}${pad('aiocop', 9)}${pad('ratio', 9)}`)
  for (const r of rows) {
    const ratio = r.perTaskUs > 0 ? `${fmt(r.aiocop / r.perTaskUs, 1)}×` : '—'
    console.log(`${r.name.padEnd(38)}${pad(r.tasks, 7)}${pad(fmt(r.offMs) + 'ms', 11)}${pad(fmt(r.onMs) + 'ms', 11)}${pad(fmt(r.perTaskUs), 10)}${pad(r.aiocop, 9)}${pad(ratio, 9)}`)
  }
}

console.log(`loopcop overhead benchmark — Node ${process.version}, ${os.cpus().length} cores, medians of ${RUNS} alternating runs`)
console.log('ratio = aiocop µs/task ÷ loopcop µs/task (higher is better for loopcop)')

const one = []
for (const s of scenarios) one.push({ ...s, ...(await measure(s, 1)) })
table('A. One test scope for all tasks, stall detection off (after the first 100 calls of an operation, calls are counted and timed without a stack)', one)

const withStalls = []
for (const s of scenarios) withStalls.push({ ...s, ...(await measure(s, 1, 100)) })
table('A+. The same with stall detection on (stallMs: 100: heartbeat timer + watchdog worker)', withStalls)

const stacked = []
for (const s of scenarios) {
  const calls = s.name.startsWith('Pure') ? 1 : s.name.startsWith('Realistic') ? 2 : 1
  const scopes = Math.max(1, Math.ceil((s.tasks * calls) / 100))
  stacked.push({ ...s, ...(await measure(s, scopes)) })
}
table('B. Scopes of ≤100 calls per operation (every call keeps its own stack, as in a typical test)', stacked)

// Memory: a million blocking calls in one scope.
loopcop.activate()
gc()
const before = process.memoryUsage().heapUsed
const test = internal.openTest({ name: 'memory' }, { overrides: { mode: 'warn', traceDepth: 5 } }, quiet)
test.run(() => {
  for (let i = 0; i < 1_000_000; i++) fs.existsSync(missing)
})
gc()
const during = process.memoryUsage().heapUsed
const outcome = test.end(false)
gc()
const after = process.memoryUsage().heapUsed
const counted = outcome.findings.reduce((n, f) => n + f.calls, 0)
console.log(`\nMemory: 1,000,000 fs.existsSync calls in one scope: heap +${fmt((during - before) / 1048576)} MB while the scope is open, +${fmt((after - before) / 1048576)} MB after it ended; ${counted.toLocaleString('en-US')} calls counted in ${outcome.findings.length} findings`)
loopcop.deactivate()
fs.rmSync(dir, { recursive: true, force: true })
