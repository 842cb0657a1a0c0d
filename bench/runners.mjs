// The overhead of loopcop inside the real runners (issue 12): a generated fixture suite run under
// Vitest (forks, threads), Jest, Mocha and `node --test`, without loopcop and with it (warn and fail
// mode, stall detection on), alternating; plus three small suites that isolate the costs:
//   - suite: 20 files × 15 tests, most of them clean and awaiting I/O, some making sync calls from
//     30 call sites in src/ and a dependency (fake-dep, allowed by a stack-needing `package`
//     rule), a few fixture-setup calls in test files. Prints wall and CPU ratios against the run
//     without loopcop, for loopcop and for the floor harness (bench/lib/floor.cjs: the least a
//     detector must do — every test in an AsyncLocalStorage store, every call judged by its own
//     20-frame stack, a watchdog thread per process, a heartbeat — and nothing else); and for the
//     floor with its judged stacks' positions also read through the runner's source-mapping
//     formatter (`floor-mapped`, FLOOR_MAP=1: what reporting findings at their source lines costs
//     at the least under Vitest and Jest; under Mocha there is no formatter and it is the floor).
//     And in two parts, so that loopcop's distance to the floor shows where it goes: `scopes`
//     (LOOPCOP_MODE=off and LOOPCOP_STALL_MS=0: loopcop loaded and installed, every test in its
//     scope, every call passed straight through) and `nostall` (`warn` with LOOPCOP_STALL_MS=0),
//     beside the floor without its stall detection (`floor-nostall`, FLOOR_LEAVE_OUT=watchdog,heartbeat:
//     no thread, no heartbeat): scopes ÷ floor-nostall is what loading loopcop and scoping every test
//     cost beyond the floor's, nostall ÷ scopes what judging the calls and reporting the findings
//     cost, and (warn ÷ nostall) ÷ (floor ÷ floor-nostall) what stall detection costs beyond the
//     floor's. The three multiply to warn ÷ floor; floor ÷ floor-nostall, the floor's own stall
//     detection (its thread and heartbeat), is printed beside them.
//   - kept: one test file whose tests make 2,000 sync calls from 100 distinct call sites (every
//     call keeps a stack) → µs per kept call = (Δ CPU − start-up of a one-file run, from `one`) / calls.
//     That holds what a process's first kept calls pay once: V8 compiling loopcop's code as it gets
//     hot (bench/README.md, "Fiftieth pass"). `kept-twice` (--instructions only) has twice the tests:
//     what its 2,000 calls more cost is a kept call's cost past the first 2,000.
//   - unkept: one test making 100,000 calls of one operation from one site in the test file → µs per
//     call that keeps no stack, likewise. (The calls are the test's own, allowed by the "test code"
//     rule: each is still judged by its own stack, since a later call could be a violation; only
//     the first 100 are kept.)
//   - files: 40 empty test files → ms of start-up per test file = Δ wall / files.
//   - tests: one test file of 3,000 empty tests → µs per test (its scope, its stall watch, the
//     runner integration's wrapping) = (Δ CPU − start-up of a one-file run) / tests.
//   - one: one empty test file → the start-up of a run of one test file (Δ CPU): what the kept and
//     unkept projects pay before their first call. Under Vitest (a fresh worker per file) it is about
//     one file's share of `files`; under Mocha and Jest it also holds what a run pays once (loading
//     the core, the watchdog worker), which `files` spreads over 40 files.
// CPU is the runner's process tree (rusage of waited-for children), so worker processes count.
// Ratios are paired (each round's ratio to the same round's run without loopcop, then the median
// and quartiles over the rounds), and so are the costs (each round's difference): see `pairedRatio`.
//
// With --instructions (Mocha, Jest run in band, and the test-file processes of Vitest's `forks`;
// valgrind needed): each run is counted in instructions instead of timed
// (bench/lib/instructions.mjs), with stall detection off and the floor without its thread; it
// prints what a run, a test file, a test, a kept and an unkept call cost in instructions, for
// loopcop and the floor, and the suite's distance to the floor in two parts (`scopes` ÷ floor:
// loading and scoping; `warn` ÷ `scopes`: judging and reporting), and under Jest and Vitest the
// suite with the floor's judged positions source-mapped (`floor-mapped`). Every project and variant
// is first run once natively under the counted runs' Node flags, uncounted: it writes V8's code
// cache of the core at its `judged` level and the runner's own caches (Jest's transforms and file
// map), as a user's earlier runs have, so that no counted run writes one. Counts repeat within
// ±0.4 % where this host's CPU times move ±20 %: one round is usually enough (`--runs=3` for
// medians). Node runs with `--predictable` (every code cache kept, full collections counted where
// a run's allocation brings them, as natively); `--steady` counts with no full collection at all,
// for unit costs no collection's step moves (bench/lib/instructions.mjs, "Two sets of Node
// flags"). A round takes ~7 minutes for Mocha, ~25–30 for Jest and ~45 for Vitest `forks` on this
// project's 2-core host.
//
// Usage: node bench/runners.mjs [--runs=5] [--runners=vitest-forks,vitest-threads,jest,mocha,node-test]
//                               [--nodes=20,24] [--node=<path of one node binary>] [--json=<file>]
//        node bench/runners.mjs --instructions [--runs=1] [--runners=mocha,jest,vitest-forks] [--nodes=24] [--json=<file>]
// `npm run bench` runs it after the bare-Node scenarios, on Node 20 and Node 24 (the binaries of
// majors other than the running one come from .cache/node, see scripts/lib/node-versions.mjs).
// Packs the built repository (`npm run build` first) and installs it into .cache/bench-runners.
// A benchmark, not a test: nothing is asserted.
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { installTarball, packLoopcop, root } from '../scripts/lib/pack.mjs'
import { checkRuns, flags, median, quantile } from '../scripts/lib/measure.mjs'
import { prepareNode } from '../scripts/lib/node-versions.mjs'
import { COUNTED_NODE_FLAGS, NO_VALGRIND, STEADY_NODE_FLAGS, childrenInstructionsIn, counted, countedTree, instructionsIn, valgrindAvailable, withCountedFlags } from './lib/instructions.mjs'

const USAGE = `Usage: node bench/runners.mjs [--runs=5] [--runners=vitest-forks,vitest-threads,jest,mocha,node-test]
                              [--nodes=20,24] [--node=<path of one node binary>] [--json=<file>]
       node bench/runners.mjs --instructions [--steady] [--runs=1] [--runners=mocha,jest,vitest-forks] [--nodes=24] [--json=<file>]`
const args = flags(['runs', 'runners', 'nodes', 'node', 'json', 'instructions', 'steady'], USAGE)
/** Count instructions instead of timing (see the header and bench/lib/instructions.mjs). */
const INSTRUCTIONS = args.instructions === true
if (args.steady !== undefined && (args.steady !== true || !INSTRUCTIONS)) {
  console.error(`--steady takes no value and goes with --instructions\n\n${USAGE}`)
  process.exit(2)
}
/** The counted runs' Node flags: as Node runs (the default), or with no full collection (`--steady`; bench/lib/instructions.mjs). */
const NODE_FLAGS = args.steady === true ? STEADY_NODE_FLAGS : COUNTED_NODE_FLAGS
const RUNS = Number(args.runs ?? (INSTRUCTIONS ? 1 : 5))
const RUNNERS = String(args.runners ?? (INSTRUCTIONS ? 'mocha' : 'vitest-forks,vitest-threads,jest,mocha,node-test')).split(',')
const NODE_MAJORS = String(args.nodes ?? (INSTRUCTIONS ? '24' : '20,24')).split(',').map(Number)
checkRuns(RUNNERS, RUNS, args.runs, USAGE)
// Mocha runs a suite in one process, and so does Jest in band (`-i`, as counted). Vitest's `forks`
// pool runs each test file in a process of its own, where loopcop runs: those processes are counted
// (valgrind follows the runner's children), each under the counted runs' Node flags (the config's
// `execArgv`), and Vitest's own process is left out (its threads are not counted alike, and loopcop
// does nothing there without its reporter, which these projects leave out). `threads` and
// node:test run their files in threads or with a process of their own in between: not counted.
const COUNTED_RUNNERS = ['mocha', 'jest', 'vitest-forks']
if (INSTRUCTIONS && RUNNERS.some((r) => !COUNTED_RUNNERS.includes(r))) throw new Error(`--instructions counts ${COUNTED_RUNNERS.join(', ')} (Jest in band, Vitest's test-file processes); got --runners=${RUNNERS.join(',')}`)
const cache = join(root, '.cache', 'bench-runners')
/** The floor harness (bench/lib/floor.cjs): the least a detector must do, run as variant `floor`. */
const FLOOR = join(root, 'bench', 'lib', 'floor.cjs')
const bins = {
  vitest: join(root, 'node_modules', 'vitest', 'vitest.mjs'),
  jest: join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
  mocha: join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'),
}

// ── the generated projects ────────────────────────────────────────────────────────────────────

const SITES = 30
const FILES = 20
const TESTS = 15

/** src/sync.cjs: 30 functions, each a call site of a sync fs operation; fake-dep: 5 more. */
function sources() {
  const ops = ['existsSync(__filename)', 'statSync(__filename)', "readFileSync(__filename, 'utf8')"]
  const fns = Array.from({ length: SITES }, (_, i) => `function site${i}() {\n  return fs.${ops[i % ops.length]}\n}`)
  return {
    'src/sync.cjs': `const fs = require('node:fs')\n\n${fns.join('\n\n')}\n\nmodule.exports = { ${fns.map((_, i) => `site${i}`).join(', ')} }\n`,
    'src/async.cjs': "const fs = require('node:fs')\n\nasync function handler() {\n  await new Promise((r) => setTimeout(r, 1))\n  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))\n  const text = await fs.promises.readFile(__filename, 'utf8')\n  await new Promise((r) => setTimeout(r, 1))\n  return JSON.stringify(text.split('\\n').map((line, i) => ({ i, line }))).length\n}\n\nmodule.exports = { handler }\n",
    'node_modules/fake-dep/package.json': JSON.stringify({ name: 'fake-dep', version: '1.0.0', main: 'index.js' }),
    'node_modules/fake-dep/index.js': "const fs = require('node:fs')\n\nexports.load = () => fs.readFileSync(__filename, 'utf8').length\nexports.check = () => fs.existsSync(__filename)\n",
  }
}

/** The body of test `t` of file `f`: 80% clean, 20% with sync calls (1–5 of them). */
function testBody(f, t) {
  const n = f * TESTS + t
  if (n % 5 !== 0) return "expect(await handler()).toBeGreaterThan(0)"
  const calls = Array.from({ length: 1 + (n % 5) }, (_, k) => `sync.site${(n + k * 7) % SITES}()`)
  return [...calls, n % 3 === 0 ? 'dep.load()' : 'dep.check()', 'expect(await handler()).toBeGreaterThan(0)'].join('\n    ')
}

/** The import of a test file's API, for the runners whose test files are ES modules (Vitest, node:test). */
const API = { vitest: 'vitest', 'node-test': 'node:test' }

/** An ES-module test file's import of `names` from its runner's API (CommonJS test files get theirs as globals). */
const apiImport = (runner, names = 'test') => `import { ${names} } from '${API[runner]}'\n`

/** The test file's own path, as the file's module system gives it. */
const selfPath = (runner) => (runner in API ? 'new URL(import.meta.url).pathname' : '__filename')

/** One test file of the suite, for a runner (Vitest and node:test ES modules, Jest and Mocha CommonJS). */
function testFile(runner, f) {
  const expect = runner === 'mocha' || runner === 'node-test' ? "const expect = (v) => ({ toBeGreaterThan: (n) => { if (!(v > n)) throw new Error(`${v} ≤ ${n}`) } })\n" : ''
  const names = runner === 'vitest' ? 'beforeEach, expect, test' : 'beforeEach, test'
  const req = runner in API ? `import { createRequire } from 'node:module'\n${apiImport(runner, names)}const require = createRequire(import.meta.url)\n` : ''
  const it = runner === 'mocha' ? 'it' : 'test'
  const setup = f % 4 === 0 ? `beforeEach(() => {\n  fixture = require('node:fs').readFileSync(${selfPath(runner)}, 'utf8')\n})\n` : ''
  const tests = Array.from({ length: TESTS }, (_, t) => `${it}('file ${f} test ${t}', async () => {\n    ${testBody(f, t)}\n})`).join('\n\n')
  const body = `${setup}\n${tests}`
  // Under Mocha a `beforeEach` at a spec file's top level is a root hook: it runs before every test
  // of the run, not of its file (Jest and Vitest scope it to the file). A `describe` per file gives
  // Mocha the same fixture reads as the others: 75 a run, not 1,500.
  const scoped = runner === 'mocha' ? `describe('file ${f}', () => {\n${body}\n})` : body
  return `${req}${expect}const sync = require('../src/sync.cjs')\nconst { handler } = require('../src/async.cjs')\nconst dep = require('fake-dep')\nlet fixture = ''\n${scoped}\n`
}

/** Tests that keep a stack for every call: 100 sites × `tests` calls (20: `kept`; 40: `kept-twice`). */
function keptFile(runner, tests = 20) {
  const it = runner === 'mocha' ? 'it' : 'test'
  const head = runner in API ? `import fs from 'node:fs'\n${apiImport(runner)}` : "const fs = require('node:fs')\n"
  const self = selfPath(runner)
  const sites = Array.from({ length: 100 }, (_, i) => `  fs.existsSync(self + ${i})`).join('\n')
  return `${head}const self = ${self}\nfunction hundredSites() {\n${sites}\n}\n\n${Array.from({ length: tests }, (_, t) => `${it}('kept ${t}', () => {\n  hundredSites()\n})`).join('\n\n')}\n`
}

/** One test making 100,000 calls from one site. */
function unkeptFile(runner) {
  const it = runner === 'mocha' ? 'it' : 'test'
  const head = runner in API ? `import fs from 'node:fs'\n${apiImport(runner)}` : "const fs = require('node:fs')\n"
  return `${head}\n${it}('unkept', () => {\n  for (let i = 0; i < 100000; i++) fs.existsSync('/')\n})\n`
}

const EXT = { vitest: 'test.mjs', jest: 'test.cjs', mocha: 'spec.cjs', 'node-test': 'test.mjs' }
const KEPT_CALLS = 2000
const UNKEPT_CALLS = 100_000
const EMPTY_FILES = 40
const EMPTY_TESTS = 3000

/** One file of `EMPTY_TESTS` empty tests. */
function testsFile(runner) {
  const it = runner === 'mocha' ? 'it' : 'test'
  const head = runner in API ? apiImport(runner) : ''
  return `${head}${Array.from({ length: EMPTY_TESTS }, (_, t) => `${it}('empty ${t}', () => {})`).join('\n')}\n`
}

function write(file, text) {
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, text)
}

/** Writes every project: <runner>/<kind> for kind in suite, kept, kept-twice, unkept, files, one, tests. */
function generate() {
  rmSync(cache, { recursive: true, force: true })
  mkdirSync(cache, { recursive: true })
  writeFileSync(join(cache, 'package.json'), JSON.stringify({ name: 'loopcop-bench-runners', private: true, type: 'commonjs' }) + '\n')
  installTarball(packLoopcop(join(cache, 'pack')), join(cache, 'node_modules'))
  for (const runner of ['vitest', 'jest', 'mocha', 'node-test']) {
    for (const kind of ['suite', 'kept', 'kept-twice', 'unkept', 'files', 'one', 'tests']) {
      const dir = join(cache, runner, kind)
      for (const [file, text] of Object.entries(sources())) write(join(dir, file), text)
      const ext = EXT[runner]
      if (kind === 'suite') for (let f = 0; f < FILES; f++) write(join(dir, 'test', `f${f}.${ext}`), testFile(runner, f))
      if (kind === 'kept') write(join(dir, 'test', `kept.${ext}`), keptFile(runner))
      if (kind === 'kept-twice') write(join(dir, 'test', `kept.${ext}`), keptFile(runner, 40))
      if (kind === 'unkept') write(join(dir, 'test', `unkept.${ext}`), unkeptFile(runner))
      if (kind === 'tests') write(join(dir, 'test', `tests.${ext}`), testsFile(runner))
      if (kind === 'files' || kind === 'one') {
        for (let f = 0; f < (kind === 'one' ? 1 : EMPTY_FILES); f++) {
          const body = runner in API ? `${apiImport(runner)}\ntest('empty', () => {})\n` : `${runner === 'mocha' ? 'it' : 'test'}('empty', () => {})\n`
          write(join(dir, 'test', `e${f}.${ext}`), body)
        }
      }
      writeConfig(runner, dir)
    }
  }
}

/** The floor's set-up for the runners without a hook around a test (Jest, node:test): `scoped(fn)` runs `fn` in a store of its own. */
const FLOOR_SCOPED = `const { run } = require(${JSON.stringify(FLOOR)})\nconst scoped = (fn) => function (...args) {\n  return run(() => fn.apply(this, args))\n}\n`

/** Runner configuration: LOOPCOP_BENCH=off|warn|fail picks the variant. */
function writeConfig(runner, dir) {
  const allow = "[{ package: 'fake-dep' }]"
  if (runner === 'vitest') {
    write(
      join(dir, 'vitest.config.mjs'),
      // loopcop's options in the config (`test.provide.loopcop`), as the README recommends: a setup file calling
      // configure() costs each test file ~4 ms more under `threads` (bench/README.md, eighth pass).
      // Counted (--instructions): the test files' processes take the counted runs' Node flags, and no
      // time-out that valgrind's slowness would reach.
      `import { defineConfig } from 'vitest/config'\nconst mode = process.env.LOOPCOP_BENCH\nconst counted = process.env.LOOPCOP_BENCH_EXEC_ARGV !== undefined\nexport default defineConfig({ test: { include: ['test/**/*.test.mjs'], setupFiles: mode === 'off' ? [] : mode === 'floor' ? ['./floor.setup.mjs'] : ['loopcop/vitest'], provide: mode === 'off' || mode === 'floor' ? {} : { loopcop: { mode, allow: ${allow} } }, reporters: ['dot'], ...(counted && { execArgv: JSON.parse(process.env.LOOPCOP_BENCH_EXEC_ARGV), testTimeout: 0, hookTimeout: 0, teardownTimeout: 3_600_000 }) } })\n`,
    )
    write(join(dir, 'floor.setup.mjs'), `import { createRequire } from 'node:module'\nimport { aroundEach } from 'vitest'\nconst { run } = createRequire(import.meta.url)(${JSON.stringify(FLOOR)})\naroundEach(async (runTest) => {\n  await run(runTest)\n})\n`)
  } else if (runner === 'jest') {
    write(
      join(dir, 'jest.config.cjs'),
      `const mode = process.env.LOOPCOP_BENCH\nconst plain = mode === 'off' || mode === 'floor'\nmodule.exports = { testMatch: ['**/test/**/*.test.cjs'], testEnvironment: plain ? 'node' : 'loopcop/jest/environment', testEnvironmentOptions: plain ? {} : { loopcop: { mode, allow: ${allow} } }, setupFilesAfterEnv: mode === 'floor' ? ['<rootDir>/floor.setup.cjs'] : [], reporters: [['default', { silent: true }]], transformIgnorePatterns: ['/node_modules/', '/dist/'] }\n`,
    )
    // Each test function and hook runs in a store of its own, as loopcop's environment has it.
    write(join(dir, 'floor.setup.cjs'), `${FLOOR_SCOPED}for (const name of ['test', 'it']) {\n  const register = globalThis[name]\n  globalThis[name] = (title, fn, timeout) => register(title, scoped(fn), timeout)\n}\nfor (const name of ['beforeEach', 'afterEach']) {\n  const register = globalThis[name]\n  globalThis[name] = (fn, timeout) => register(scoped(fn), timeout)\n}\n`)
  } else if (runner === 'node-test') {
    // As the README sets it up (`--import loopcop/node-test`, options from a module imported after
    // it), without loopcop's reporter: the other runners run without theirs too.
    write(join(dir, 'package.json'), JSON.stringify({ type: 'module' }) + '\n')
    write(join(dir, 'loopcop.setup.mjs'), `import { configure } from 'loopcop'\nconfigure({ mode: process.env.LOOPCOP_BENCH, allow: ${allow} })\n`)
    // node:test has no hook around a test: the floor wraps the functions \`test\` and \`beforeEach\`
    // take (the module object patched, ES-module imports synced), as loopcop wraps node:test's.
    write(
      join(dir, 'floor.setup.cjs'),
      `${FLOOR_SCOPED}const nodeTest = require('node:test')\nconst { test, beforeEach } = nodeTest\nnodeTest.test = (name, fn) => test(name, scoped(fn))\nnodeTest.beforeEach = (fn) => beforeEach(scoped(fn))\nrequire('node:module').syncBuiltinESMExports()\n`,
    )
  } else {
    write(join(dir, 'loopcop.setup.cjs'), `require('loopcop').configure({ mode: process.env.LOOPCOP_BENCH, allow: ${allow} })\n`)
    write(join(dir, 'floor.setup.cjs'), `const { enter } = require(${JSON.stringify(FLOOR)})\nexports.mochaHooks = { beforeEach() {\n  enter()\n} }\n`)
  }
}

// ── running ───────────────────────────────────────────────────────────────────────────────────

/** Runs a command through bash so that `times` reports the CPU of the whole process tree. */
function timed(argv, options) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const script = '"$@" >/dev/null 2>"$LOOPCOP_BENCH_ERR"; code=$?; times; exit $code'
    const child = spawn('bash', ['-c', script, 'bash', ...argv], { ...options, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const wallMs = performance.now() - started
      // `times`: the shell's own user/sys, then its children's.
      const line = out.trim().split('\n').at(-1) ?? ''
      const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map(([, m, s]) => Number(m) * 60 + Number(s))
      resolve({ code, wallMs, cpuMs: (secs[0] + secs[1]) * 1000 })
    })
  })
}

function command(NODE, name, dir) {
  const runner = name.startsWith('vitest') ? 'vitest' : name
  if (runner === 'vitest') return [NODE, bins.vitest, 'run', `--pool=${name === 'vitest-threads' ? 'threads' : 'forks'}`]
  // Counted, in band (the test files run in the one process valgrind counts) and with no time-out
  // that valgrind's slowness would reach (the `unkept` test's 100,000 calls take minutes).
  if (runner === 'jest') return [NODE, bins.jest, '--ci', '--cacheDirectory', join(dir, '.jest-cache'), ...(INSTRUCTIONS ? ['-i', '--testTimeout=3600000'] : [])]
  // Files named, not globbed: Node 20's `--test` takes no glob.
  if (runner === 'node-test') return [NODE, '--test', ...readdirSync(join(dir, 'test')).sort().map((f) => join('test', f))]
  // No time-out: under valgrind (`--instructions`) on a loaded host the `unkept` test's 100,000 calls take minutes.
  return [NODE, bins.mocha, '--timeout', '0', 'test/*.spec.cjs']
}

/** The variants that run loopcop in part (see the header): `warn`, with these variables set. (`floor-nostall`: the floor without its thread and heartbeat.) */
const PARTS = { nostall: { LOOPCOP_STALL_MS: '0' }, scopes: { LOOPCOP_STALL_MS: '0', LOOPCOP_MODE: 'off' } }

/**
 * Runs one project in one variant: timed, or counted in instructions (`--instructions`). `prime`: run
 * natively under the counted runs' Node flags, uncounted, to write the caches a counted run then reads.
 */
async function measure(node, name, kind, variant, { prime = false } = {}) {
  const runner = name.startsWith('vitest') ? 'vitest' : name
  // `floor-mapped` is the floor harness with FLOOR_MAP=1 (bench/lib/floor.cjs), `floor-nostall` with
  // FLOOR_LEAVE_OUT=watchdog,heartbeat; `nostall` and `scopes` are loopcop in part.
  const mode = variant === 'floor-mapped' || variant === 'floor-nostall' ? 'floor' : variant in PARTS ? 'warn' : variant
  const dir = join(cache, runner, kind)
  const argv = command(node, name, dir)
  if (runner === 'mocha' && mode === 'floor') argv.splice(2, 0, '--require', './floor.setup.cjs')
  else if (runner === 'mocha' && mode !== 'off') argv.splice(2, 0, '--require', 'loopcop/mocha', '--require', './loopcop.setup.cjs')
  // `--import`, not `--require`: node:test's own process (which starts the test files') loads `--require` modules too.
  else if (runner === 'node-test' && mode === 'floor') argv.splice(2, 0, '--import', './floor.setup.cjs')
  else if (runner === 'node-test' && mode !== 'off') argv.splice(2, 0, '--import', 'loopcop/node-test', '--import', './loopcop.setup.mjs')
  const env = { ...process.env, CI: 'true', NO_COLOR: '1', LOOPCOP_BENCH: mode, NODE_PATH: join(cache, 'node_modules'), LOOPCOP_BENCH_ERR: join(cache, `${name}-${kind}-${variant}.err`) }
  for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'FLOOR_MAP' || key === 'FLOOR_DEPTH' || key === 'FLOOR_LEAVE_OUT' || key === 'NODE_OPTIONS' || key === 'GITHUB_ACTIONS' || (key.startsWith('LOOPCOP_') && key !== 'LOOPCOP_BENCH' && key !== 'LOOPCOP_BENCH_ERR')) delete env[key]
  if (variant === 'floor-mapped') env.FLOOR_MAP = '1'
  if (variant === 'floor-nostall') env.FLOOR_LEAVE_OUT = 'watchdog,heartbeat'
  if (variant in PARTS) Object.assign(env, PARTS[variant])
  if (!INSTRUCTIONS) return timed(argv, { cwd: dir, env })
  // Counted: what wall time drives is left out (see bench/lib/instructions.mjs).
  if (mode === 'floor') env.FLOOR_LEAVE_OUT = 'watchdog'
  else if (mode !== 'off') env.LOOPCOP_STALL_MS = '0'
  if (runner === 'vitest') {
    // Vitest's own process runs as it is; its test files' processes under the counted flags (see
    // COUNTED_RUNNERS), the code cache's priming run too.
    env.LOOPCOP_BENCH_EXEC_ARGV = JSON.stringify(NODE_FLAGS)
    if (prime) return timed(argv, { cwd: dir, env })
  } else if (prime) return timed(withCountedFlags(argv, NODE_FLAGS), { cwd: dir, env })
  // A test file's process whose count was lost (see `childrenInstructionsIn`) is counted again, with its run.
  for (let attempt = 1; ; attempt++) {
    const run = await timed(runner === 'vitest' ? countedTree(argv) : counted(argv, NODE_FLAGS), { cwd: dir, env })
    const stderr = readFileSync(env.LOOPCOP_BENCH_ERR, 'utf8')
    const { instructions, lost } = runner === 'vitest' ? childrenInstructionsIn(stderr) : { instructions: instructionsIn(stderr), lost: 0 }
    if (run.code === 0 && lost > 0 && attempt < 3) {
      console.error(`${name} ${kind} ${variant}: ${lost} test file process${lost === 1 ? '' : 'es'} wrote no count (stopped before valgrind wrote it); counting the run again`)
      continue
    }
    if (run.code !== 0 || Number.isNaN(instructions) || lost > 0) throw new Error(`${name} ${kind} ${variant} under valgrind: exit code ${run.code}, ${Number.isNaN(instructions) ? 'no instruction count' : `${instructions} instructions`}${lost > 0 ? `, ${lost} process${lost === 1 ? '' : 'es'} without a count` : ''} (see ${env.LOOPCOP_BENCH_ERR})`)
    return { ...run, instructions }
  }
}

/** The Node binaries to run on: `--node=<path>`, or `--nodes=<majors>` (the running one for its own major). */
async function nodes() {
  if (typeof args.node === 'string') return [{ bin: args.node, version: await versionOf(args.node) }]
  const out = []
  for (const major of NODE_MAJORS) {
    const prepared = await prepareNode(major)
    if (prepared.error !== undefined) throw new Error(`Node ${major}: ${prepared.error}`)
    out.push({ bin: prepared.bin, version: prepared.version })
  }
  return out
}

function versionOf(bin) {
  return new Promise((resolve) => {
    const c = spawn(bin, ['-p', 'process.versions.node'])
    let v = ''
    c.stdout.on('data', (d) => (v += d))
    c.on('close', () => resolve(v.trim()))
  })
}

/**
 * What the rounds of two variants say, paired: each round's ratio of `a` to `b` (the two ran in the
 * same round, minutes apart at most, so the machine's drift — this host's load moves a suite's wall
 * time by ±20 % between rounds — hits both alike), as the median and quartiles over the rounds. The
 * ratio of two medians taken apart reads a round's noise in one against another round's in the
 * other: on this host it once put Jest's `warn` at 1.011× where the rounds' own ratios gave 1.112×
 * (bench/README.md, "Nineteenth pass").
 */
function pairedRatio(samples, a, b, field) {
  return spreadOf(samples[a].map((x, i) => x[field] / samples[b][i][field]))
}

/** Each round's ratio of `a` to `b` over each round's ratio of `c` to `d`, paired as `pairedRatio`. */
function pairedRatioOfRatios(samples, [a, b], [c, d], field) {
  return spreadOf(samples[a].map((x, i) => x[field] / samples[b][i][field] / (samples[c][i][field] / samples[d][i][field])))
}

/** A paired ratio in wall time and in CPU time. */
function wallAndCpu(ratioOf) {
  return { wall: ratioOf('wallMs'), cpu: ratioOf('cpuMs') }
}

/** The median and quartiles of per-round ratios. */
function spreadOf(ratios) {
  return { median: median(ratios), low: quantile(ratios, 0.25), high: quantile(ratios, 0.75) }
}

/** Every variant of one runner on one Node, alternating: one row of the table. */
async function measureRunner(node, name) {
  const samples = {}
  const add = (key, r) => (samples[key] ??= []).push(r)
  for (let i = 0; i < RUNS; i++) {
    // Alternating, and the order rotated each round, so drift hits every variant alike.
    const variants = [
      ['suite', 'off'], ['suite', 'warn'], ['suite', 'fail'], ['suite', 'floor'], ['suite', 'floor-mapped'], ['suite', 'floor-nostall'], ['suite', 'scopes'], ['suite', 'nostall'],
      ['kept', 'off'], ['kept', 'warn'], ['kept', 'floor'],
      ['unkept', 'off'], ['unkept', 'warn'], ['unkept', 'floor'],
      ['files', 'off'], ['files', 'warn'], ['files', 'floor'],
      ['one', 'off'], ['one', 'warn'], ['one', 'floor'],
      ['tests', 'off'], ['tests', 'warn'], ['tests', 'floor'],
    ]
    const rotated = [...variants.slice(i % variants.length), ...variants.slice(0, i % variants.length)]
    for (const [kind, mode] of rotated) add(`${kind}/${mode}`, await measure(node.bin, name, kind, mode))
    process.stderr.write(`Node ${node.version}, ${name}: round ${i + 1}/${RUNS}\n`)
  }
  const m = (key, field) => median(samples[key].map((r) => r[field]))
  /** The cost `mode` adds to a project in each round (`mode` − `off`, same round), in `field`. */
  const added = (kind, mode, field) => samples[`${kind}/${mode}`].map((r, i) => r[field] - samples[`${kind}/off`][i][field])
  /** The small projects' figures for loopcop (`warn`) or the floor harness (`floor`), each against `off` of the same round, medians over the rounds. */
  const costs = (mode) => {
    const oneRun = added('one', mode, 'cpuMs')
    const perFile = added('files', mode, 'cpuMs').map((ms) => ms / EMPTY_FILES)
    // The kept and unkept projects are a run of one test file each: its start-up (measured by `one`,
    // in the same round) is not a cost of the calls. (Until 2026-11-29 `files`' share of one file was
    // taken out: under Mocha and Jest that left a run's own start-up, ~25 µs a kept call, in the figure.)
    const perCall = (kind, calls, startUp) => median(added(kind, mode, 'cpuMs').map((ms, i) => ((ms - startUp[i]) * 1000) / calls))
    return {
      usPerKept: perCall('kept', KEPT_CALLS, oneRun),
      usPerUnkept: perCall('unkept', UNKEPT_CALLS, oneRun),
      usPerTest: perCall('tests', EMPTY_TESTS, oneRun),
      usPerKeptPerFileStartup: perCall('kept', KEPT_CALLS, perFile),
      msPerFile: median(added('files', mode, 'wallMs').map((ms) => ms / EMPTY_FILES)),
      cpuMsPerFile: median(perFile),
      cpuMsOneRun: median(oneRun),
    }
  }
  const ratio = (a, b, field) => pairedRatio(samples, a, b, field)
  return {
    node: node.version,
    runner: name,
    rounds: RUNS,
    suiteWallOff: m('suite/off', 'wallMs'),
    // Each a paired ratio (see `pairedRatio`): { median, low, high }.
    wallWarn: ratio('suite/warn', 'suite/off', 'wallMs'),
    wallFail: ratio('suite/fail', 'suite/off', 'wallMs'),
    cpuWarn: ratio('suite/warn', 'suite/off', 'cpuMs'),
    cpuFail: ratio('suite/fail', 'suite/off', 'cpuMs'),
    // The floor harness (bench/lib/floor.cjs) on the same projects: what no detector can go below.
    wallFloor: ratio('suite/floor', 'suite/off', 'wallMs'),
    cpuFloor: ratio('suite/floor', 'suite/off', 'cpuMs'),
    // The floor with source mapping: what loopcop's distance to the floor is, less the mapping.
    wallFloorMapped: ratio('suite/floor-mapped', 'suite/off', 'wallMs'),
    // loopcop against the floor, round by round: the distance issue 12 asks about.
    wallWarnOverFloor: ratio('suite/warn', 'suite/floor', 'wallMs'),
    // That distance in three parts, each a paired ratio (see the header): loading and scoping, judging
    // and reporting, stall detection beyond the floor's; and the floor's stall detection itself.
    parts: {
      scopes: wallAndCpu((field) => ratio('suite/scopes', 'suite/floor-nostall', field)),
      judging: wallAndCpu((field) => ratio('suite/nostall', 'suite/scopes', field)),
      stall: wallAndCpu((field) => pairedRatioOfRatios(samples, ['suite/warn', 'suite/nostall'], ['suite/floor', 'suite/floor-nostall'], field)),
      floorStall: wallAndCpu((field) => ratio('suite/floor', 'suite/floor-nostall', field)),
    },
    ...costs('warn'),
    floor: costs('floor'),
  }
}

/**
 * One runner on one Node, counted in instructions (`--instructions`): every project without
 * loopcop, with it (`warn`) and with the floor harness, alternating; medians over the rounds.
 * Each cost is the variant's count less the run without loopcop, less what a run of one test file
 * costs it (`one`), divided over what the project has more of: its test files, tests or calls.
 */
async function measureInstructions(node, name) {
  const samples = {}
  // Under Vitest's `forks` every test file is a process of its own: a file more costs what `one`'s
  // process costs, and `files` (40 of them, an hour under valgrind) is not run.
  const forks = name === 'vitest-forks'
  const kinds = ['suite', 'kept', 'kept-twice', 'unkept', ...(forks ? [] : ['files']), 'one', 'tests']
  /**
   * The variants of a project: the suite's also in part (`scopes`: loopcop loaded, every test scoped,
   * calls passed through), and under Jest and Vitest with the floor's judged positions also read
   * through the runner's source-mapping formatter (`floor-mapped`: what reporting findings at their
   * source lines costs at the least; Mocha has no formatter, its floor is that already). `warn`
   * first: the order the runs are primed in (see below).
   */
  const suiteModes = ['warn', 'off', 'floor', 'scopes', ...(name === 'mocha' ? [] : ['floor-mapped'])]
  const modes = (kind) => (kind === 'suite' ? suiteModes : ['warn', 'off', 'floor'])
  // Every run once first, natively and uncounted (see the header). The suite with loopcop first: its
  // judged calls make the core's code cache complete (src/runtime/code-cache.ts), so that no later
  // run writes it again, as in a user's later runs. (A run that writes it counts ~15–60 M more; V8
  // accepts a cache only under the Node flags it was written with, which is why these runs take the
  // counted runs' flags.) Under Jest each project's first run also transforms its files and maps them.
  for (const kind of kinds) for (const mode of modes(kind)) await measure(node.bin, name, kind, mode, { prime: true })
  for (let i = 0; i < RUNS; i++) {
    for (const kind of kinds) for (const mode of modes(kind)) (samples[`${kind}/${mode}`] ??= []).push((await measure(node.bin, name, kind, mode)).instructions)
    process.stderr.write(`Node ${node.version}, ${name}, instructions: round ${i + 1}/${RUNS}\n`)
  }
  const m = (kind, mode) => median(samples[`${kind}/${mode}`])
  /** What `mode` adds to a run of one test file (under Vitest's `forks`, to a test file's process). */
  const oneRun = (mode) => m('one', mode) - m('one', 'off')
  /** What `mode` adds to a project beyond what it adds to a run of one test file, over `n` of what the project has more of. */
  const each = (kind, mode, n) => (m(kind, mode) - m(kind, 'off') - oneRun(mode)) / n
  const costs = (mode) => ({
    oneRun: oneRun(mode),
    perFile: forks ? oneRun(mode) : each('files', mode, EMPTY_FILES - 1),
    perTest: each('tests', mode, EMPTY_TESTS - 1),
    perKept: each('kept', mode, KEPT_CALLS),
    // The 2,000 kept calls `kept-twice` makes beyond `kept`'s: what a kept call costs once the
    // process has made 2,000, without what its first calls pay once (V8 compiling loopcop's code).
    perKeptPast: (each('kept-twice', mode, 1) - each('kept', mode, 1)) / KEPT_CALLS,
    perUnkept: each('unkept', mode, UNKEPT_CALLS),
  })
  return {
    node: node.version,
    runner: name,
    rounds: RUNS,
    nodeFlags: NODE_FLAGS,
    instructions: Object.fromEntries(Object.entries(samples).map(([key, xs]) => [key, median(xs)])),
    suiteWarn: m('suite', 'warn') / m('suite', 'off'),
    suiteFloor: m('suite', 'floor') / m('suite', 'off'),
    suiteWarnOverFloor: m('suite', 'warn') / m('suite', 'floor'),
    // loopcop's distance to the floor in two parts: loading and scoping, judging and reporting.
    suiteScopesOverFloor: m('suite', 'scopes') / m('suite', 'floor'),
    suiteWarnOverScopes: m('suite', 'warn') / m('suite', 'scopes'),
    ...(suiteModes.includes('floor-mapped') && { suiteFloorMapped: m('suite', 'floor-mapped') / m('suite', 'off'), suiteWarnOverFloorMapped: m('suite', 'warn') / m('suite', 'floor-mapped') }),
    ...costs('warn'),
    floor: costs('floor'),
  }
}

/** Prints `measureInstructions`' results: each project's counts, then the costs. */
function printInstructions(results) {
  const M = (n) => `${(n / 1e6).toFixed(0)} M`
  const K = (n) => `${(n / 1e3).toFixed(1)} K`
  const M2 = (n) => `${(n / 1e6).toFixed(2)} M`
  for (const r of results) {
    console.log(`\nloopcop inside ${r.runner}, in instructions: Node ${r.node}, ${r.rounds} round(s), stall detection off, the floor without its thread, Node with \`${NODE_FLAGS.join(' ')}\``)
    console.log('Each cost: what loopcop (the floor in brackets) adds, beyond what it adds to a run of one test file, over the test files, tests or calls the project has more.\n')
    console.log('| project | without loopcop | loopcop `warn` | floor | loopcop ÷ without | floor ÷ without | loopcop ÷ floor |')
    console.log('|---|---|---|---|---|---|---|')
    if (r.runner === 'vitest-forks') console.log("Vitest's test-file processes only (its own process left out); a test file more is a run of one test file, a process of its own.\n")
    for (const kind of ['suite', 'one', 'files', 'tests', 'kept', 'kept-twice', 'unkept']) {
      const [off, warn, floor] = ['off', 'warn', 'floor'].map((mode) => r.instructions[`${kind}/${mode}`])
      if (off === undefined) continue
      console.log(`| ${kind} | ${M(off)} | ${M(warn)} | ${M(floor)} | ${(warn / off).toFixed(3)}× | ${(floor / off).toFixed(3)}× | ${(warn / floor).toFixed(3)}× |`)
    }
    console.log(`\nThe suite's distance to the floor (${r.suiteWarnOverFloor.toFixed(3)}×) in two parts: loading loopcop and scoping every test (\`scopes\` ÷ floor) ${r.suiteScopesOverFloor.toFixed(3)}×, judging the calls and reporting the findings (\`warn\` ÷ \`scopes\`) ${r.suiteWarnOverScopes.toFixed(3)}×; \`scopes\` ${M(r.instructions['suite/scopes'])}.`)
    if (r.suiteFloorMapped !== undefined) console.log(`The floor with its judged positions read through the runner's source-mapping formatter (\`floor-mapped\`, what reporting at source lines costs at the least): ${M(r.instructions['suite/floor-mapped'])}, ${r.suiteFloorMapped.toFixed(3)}× of the suite without loopcop; loopcop ÷ \`floor-mapped\` ${r.suiteWarnOverFloorMapped.toFixed(3)}×.`)
    console.log('\n| a run of one test file | a test file more (one empty test in it) | a test | a kept call | a kept call past the first 2,000 | an unkept call |')
    console.log('|---|---|---|---|---|---|')
    console.log(`| ${M(r.oneRun)} (${M(r.floor.oneRun)}) | ${M2(r.perFile)} (${M2(r.floor.perFile)}) | ${K(r.perTest)} (${K(r.floor.perTest)}) | ${K(r.perKept)} (${K(r.floor.perKept)}) | ${K(r.perKeptPast)} (${K(r.floor.perKeptPast)}) | ${K(r.perUnkept)} (${K(r.floor.perUnkept)}) |`)
  }
}

async function main() {
  if (INSTRUCTIONS && !valgrindAvailable()) throw new Error(NO_VALGRIND)
  const targets = await nodes()
  generate()
  const results = []
  if (INSTRUCTIONS) {
    for (const node of targets) for (const name of RUNNERS) results.push(await measureInstructions(node, name))
    printInstructions(results)
    if (typeof args.json === 'string') writeFileSync(args.json, JSON.stringify(results, null, 2) + '\n')
    return
  }
  for (const node of targets) for (const name of RUNNERS) results.push(await measureRunner(node, name))
  /** A paired ratio's median, and with its quartiles. */
  const x = (q) => `${q.median.toFixed(3)}×`
  const spread = (q) => `${x(q)} [${q.low.toFixed(3)}–${q.high.toFixed(3)}]`
  for (const node of targets) {
    const rows = results.filter((r) => r.node === node.version)
    console.log(`\nloopcop inside the runners: Node ${node.version}, ${RUNS} alternating rounds, stall detection on (stallMs 100)`)
    console.log('Ratios are paired: the median of each round\'s ratio to that round\'s run without loopcop (or to the floor), quartiles in brackets; the per-call, per-test and per-file costs are medians of each round\'s difference to that round\'s run without loopcop.\n')
    console.log('| runner | suite wall (off) | wall warn | wall fail | wall floor | wall floor, mapped | wall warn ÷ floor | CPU warn | CPU fail | CPU floor | µs/kept call (floor) | µs/unkept call (floor) | µs/test (floor) | start-up ms/file, wall (floor) | start-up ms/file, CPU (floor) | one-file run start-up, CPU ms (floor) | µs/kept, old formula |')
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')
    for (const r of rows) {
      const both = (key, digits) => `${r[key].toFixed(digits)} (${r.floor[key].toFixed(digits)})`
      console.log(`| ${r.runner} | ${(r.suiteWallOff / 1000).toFixed(2)} s | ${spread(r.wallWarn)} | ${x(r.wallFail)} | ${spread(r.wallFloor)} | ${x(r.wallFloorMapped)} | ${spread(r.wallWarnOverFloor)} | ${x(r.cpuWarn)} | ${x(r.cpuFail)} | ${x(r.cpuFloor)} | ${both('usPerKept', 1)} | ${both('usPerUnkept', 2)} | ${both('usPerTest', 1)} | ${both('msPerFile', 1)} | ${both('cpuMsPerFile', 1)} | ${both('cpuMsOneRun', 1)} | ${r.usPerKeptPerFileStartup.toFixed(1)} |`)
    }
    console.log('\nWhere loopcop\'s distance to the floor goes (the suite, paired ratios, wall then CPU): loading loopcop and scoping every test (`scopes` ÷ the floor without its stall detection), judging the calls and reporting the findings (`nostall` ÷ `scopes`), stall detection beyond the floor\'s ((`warn` ÷ `nostall`) ÷ (floor ÷ the floor without it)); the three multiply to warn ÷ floor. Beside them, the floor\'s own stall detection, its thread and heartbeat (floor ÷ the floor without it).\n')
    console.log('| runner | wall warn ÷ floor | loading and scoping | judging and reporting | stall detection | CPU: loading and scoping | judging and reporting | stall detection | the floor\'s stall detection, wall (CPU) |')
    console.log('|---|---|---|---|---|---|---|---|---|')
    for (const r of rows) {
      const { scopes, judging, stall, floorStall } = r.parts
      console.log(`| ${r.runner} | ${spread(r.wallWarnOverFloor)} | ${spread(scopes.wall)} | ${spread(judging.wall)} | ${spread(stall.wall)} | ${x(scopes.cpu)} | ${x(judging.cpu)} | ${x(stall.cpu)} | ${x(floorStall.wall)} (${x(floorStall.cpu)}) |`)
    }
  }
  if (typeof args.json === 'string') writeFileSync(args.json, JSON.stringify(results, null, 2) + '\n')
}

await main()
