// Where loopcop's time goes inside a runner, from V8 CPU profiles: self time by whose code ran
// (loopcop, the floor harness, the runner, Node, GC, idle) and the inclusive time of loopcop's
// parts (a wrapped call, a test's start and end, judging, building findings, …), each divided by
// the number of runs. Used for the twelfth pass of bench/README.md. A measuring tool, not a test.
//
// Usage: node bench/profile-parts.mjs [--runs=N] <profile files or folders>
//   Profiles as `node --cpu-prof --cpu-prof-dir=<dir> --cpu-prof-interval 100 <runner …>` writes
//   them, one run after another into one folder. A worker thread writes a profile of its own
//   (`….1.002.cpuprofile`): pass only the main threads' (`*.0.001.cpuprofile`) to leave out the
//   watchdog's. Example (Mocha's benchmark suite, after `npm run bench:runners` made it):
//     cd .cache/bench-runners/mocha/suite
//     LOOPCOP_BENCH=warn NODE_PATH=../../node_modules node --cpu-prof --cpu-prof-dir=/tmp/p \
//       ../../../../node_modules/mocha/bin/mocha.js --require loopcop/mocha \
//       --require ./loopcop.setup.cjs 'test/*.spec.cjs'
//     node bench/profile-parts.mjs --runs=1 /tmp/p/*.0.001.cpuprofile
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** loopcop's parts, by the function that is each one's entry (names as in the built bundle). */
const PARTS = [
  ['a wrapped call (all of it)', 'onCall'],
  ['  V8 capturing its stack', 'capture'],
  ['  the call itself (timed)', 'timed'],
  ["a test's start", 'openTest'],
  ['  watching it for stalls', 'watch'],
  ["a test's end", 'endTest'],
  ['  its findings', 'findings'],
  ['    judging the calls', 'judge'],
  ['      reading stacks into keys', 'key'],
  ['      the allow rules', 'findAllowingRule'],
  ['    building findings', 'syncFinding'],
  ['the configuration (LOOPCOP_* read)', 'current'],
  ['the run report', 'reportRun'],
]

const args = process.argv.slice(2)
const runs = Number(args.find((a) => a.startsWith('--runs='))?.slice('--runs='.length) ?? 1)
const files = args
  .filter((a) => !a.startsWith('--'))
  .flatMap((a) => (statSync(a).isDirectory() ? readdirSync(a).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(a, f)) : [a]))
if (files.length === 0 || !(runs > 0)) {
  console.error('usage: node bench/profile-parts.mjs [--runs=N] <profile files or folders>')
  process.exit(2)
}

/** Whose code a sampled frame is. */
function whose(callFrame) {
  const url = callFrame.url
  if (url.includes('/loopcop/')) return 'loopcop'
  if (url.includes('/bench/lib/')) return 'the floor harness'
  if (/\/(mocha|jest[^/]*|@jest\/[^/]+|vitest|@vitest\/[^/]+|vite|tinypool)\//.test(url)) return 'the runner'
  if (url.startsWith('node:')) return 'Node'
  if (url === '') return ['(idle)', '(program)', '(garbage collector)'].includes(callFrame.functionName) ? callFrame.functionName : 'Node (native)'
  return 'the suite and the rest'
}

const self = new Map()
const parts = new Map()
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const ms = new Map()
  for (let i = 0; i < profile.samples.length; i++) ms.set(profile.samples[i], (ms.get(profile.samples[i]) ?? 0) + profile.timeDeltas[i] / 1000)
  for (const [id, t] of ms) {
    const node = byId.get(id)
    const who = whose(node.callFrame)
    self.set(who, (self.get(who) ?? 0) + t)
    // Inclusive time: each part once per sample, however deep it recurses.
    const seen = new Set()
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur).callFrame
      if (whose(cf) !== 'loopcop' || seen.has(cf.functionName)) continue
      seen.add(cf.functionName)
      parts.set(cf.functionName, (parts.get(cf.functionName) ?? 0) + t)
    }
  }
}

const row = (label, t) => `${(t / runs).toFixed(1).padStart(9)}  ${label}`
const busy = [...self].filter(([k]) => k !== '(idle)').reduce((sum, [, t]) => sum + t, 0)
console.log(`${files.length} profiles, ${runs} run(s): ms a run`)
console.log('\nself time, by whose code ran')
for (const [who, t] of [...self].sort((a, b) => b[1] - a[1])) console.log(row(who, t))
console.log(row('all but idle', busy))
console.log("\nloopcop's parts, inclusive (a part's children count in it)")
for (const [label, fn] of PARTS) console.log(row(label, parts.get(fn) ?? 0))
