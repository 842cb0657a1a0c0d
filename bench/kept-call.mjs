// What one kept call costs in bare Node, piece by piece (issue 12: "where a floor stops you, show
// the measurement"): V8's capture alone, the capture read as call sites, their position key, and
// the whole path of a call that becomes a finding of its own (20 scopes × 100 call sites, a
// stack-needing allow rule as in bench/runners.mjs). µs per call, medians of 7 runs, in-process.
// A benchmark, not a test.
//
// Then the same cold, as inside a runner's kept project: a fresh process's first 2,000 kept calls
// (20 scopes × 100 sites, each stack new, loopcop's code not yet optimised by V8), CPU µs per call,
// medians of 7 processes: V8's capture of `traceDepth` + 10 frames read as call sites and keyed by
// position (the least a call judged by its own stack needs), and loopcop's whole kept call, with
// the package rule (the stack captured `traceDepth` + 10 deep) and without (`traceDepth` deep).
//
//   node bench/kept-call.mjs            (after `npm run build`)
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { median } from '../scripts/lib/measure.mjs'
import { stackKeyer } from './lib/stack-key.cjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const { configure, detect } = await import(path.join(here, '..', 'dist', 'esm', 'src', 'index.js'))
configure({ mode: 'warn', stallMs: 0, allow: [{ package: 'fake-dep' }] })

const child = process.argv.find((a) => a.startsWith('--cold='))?.slice('--cold='.length)
// Without a rule that looks past the caller frame, a kept call captures `traceDepth` frames first.
if (child === 'loopcop-no-rules') configure({ allow: [] })
if (child !== undefined) {
  // One cold measurement in this fresh process: 20 "tests" calling 100 sites each, every stack new.
  // Real files, as a runner's are (not eval code, whose call sites have no script name).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopcop-kept-'))
  const file = path.join(dir, 'kept.cjs')
  const body = Array.from({ length: 100 }, (_, i) => `  touch(fs, self + ${i})`).join('\n')
  fs.writeFileSync(file, `function sites(fs, self, touch) {\n${body}\n}\n${Array.from({ length: 20 }, (_, t) => `exports.t${t} = (fs, touch) => sites(fs, '/nonexistent', touch)`).join('\n')}\n`)
  const tests = Object.values(createRequire(import.meta.url)(file))
  fs.rmSync(dir, { recursive: true, force: true })
  const stackKey = stackKeyer()
  const floor = (fs, file) => {
    const key = stackKey(20, floor)
    return fs.existsSync(file) || key
  }
  const call = (fs, file) => fs.existsSync(file)
  const cpu = () => process.cpuUsage().user + process.cpuUsage().system
  const t = cpu()
  // 12 frames below each test, as a runner has (its own frames under the test function).
  const under = (n, fn) => (n === 0 ? fn() : under(n - 1, fn))
  if (child === 'floor') for (const test of tests) under(12, () => test(fs, floor))
  else if (child === 'loopcop' || child === 'loopcop-no-rules') for (const test of tests) await under(12, () => detect(() => test(fs, call)))
  else for (const test of tests) under(12, () => test(fs, call))
  console.log((cpu() - t) / 2000)
  process.exit(0)
}

const own = (_error, sites) => sites
function capture(depth) {
  const holder = {}
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = depth
  Error.captureStackTrace(holder, capture)
  Error.stackTraceLimit = limit
  return holder
}
function callSites(depth) {
  const holder = capture(depth)
  const installed = Error.prepareStackTrace
  Error.prepareStackTrace = own
  try {
    return holder.stack
  } finally {
    Error.prepareStackTrace = installed
  }
}
const keyed = (depth) => callSites(depth).map((s) => `${s.getFileName()}:${s.getLineNumber()}:${s.getColumnNumber()}`).join('\n')
/** A call made 12 frames down, as in a test runner. */
const deep = (n, fn) => (n === 0 ? fn() : deep(n - 1, fn))
function perCall(fn, n = 20_000) {
  const runs = []
  for (let r = 0; r < 7; r++) {
    const t = performance.now()
    for (let i = 0; i < n; i++) fn()
    runs.push(((performance.now() - t) * 1000) / n)
  }
  return median(runs)
}

const body = Array.from({ length: 100 }, (_, i) => `fs.existsSync(self + ${i})`).join('\n')
// 20 "tests", each with its own 100 call sites: every call keeps its stack and is a finding of its own.
const tests = Array.from({ length: 20 }, (_, t) => new Function('fs', 'self', `// test ${t}\n${body}`))

// Warm-up: the first pass reads and source-maps every position once, and lets V8 optimise.
for (const test of tests) await detect(() => test(fs, '/nonexistent'))
console.log(`Node ${process.versions.node}: µs per call, medians of 7 runs`)
console.log(`  fs.existsSync alone: ${perCall(() => deep(12, () => fs.existsSync('/nonexistent'))).toFixed(2)}`)
for (const depth of [5, 10]) {
  const cap = perCall(() => deep(12, () => capture(depth)))
  const sites = perCall(() => deep(12, () => callSites(depth)))
  const key = perCall(() => deep(12, () => keyed(depth)))
  configure({ traceDepth: depth })
  const withLoopcop = []
  const without = []
  for (let r = 0; r < 7; r++) {
    let t = performance.now()
    for (const test of tests) await detect(() => test(fs, '/nonexistent'))
    withLoopcop.push(((performance.now() - t) * 1000) / 2000)
    t = performance.now()
    for (const test of tests) test(fs, '/nonexistent')
    without.push(((performance.now() - t) * 1000) / 2000)
  }
  console.log(`  ${depth} frames: capture ${cap.toFixed(2)}, + read as call sites ${sites.toFixed(2)}, + position key ${key.toFixed(2)}; whole kept call (its own finding) ${(median(withLoopcop) - median(without)).toFixed(2)}`)
}

const cold = (kind) => median(Array.from({ length: 7 }, () => Number(execFileSync(process.execPath, [fileURLToPath(import.meta.url), `--cold=${kind}`], { encoding: 'utf8' }))))
const bare = cold('bare')
console.log(`  cold, a fresh process's first 2,000 kept calls (CPU): capture of 20 frames + call sites + position key ${(cold('floor') - bare).toFixed(2)}; whole kept call (its own finding) ${(cold('loopcop') - bare).toFixed(2)}, without the package rule (10 frames captured) ${(cold('loopcop-no-rules') - bare).toFixed(2)}`)
