// `npm run test:stress`: stall detection under load, as a CI machine meets it. Runs the stress
// fixtures (test/stress/<runner>) under Vitest (forks and threads), Jest, Mocha and `node --test`,
// each N times with loopcop (stallMode 'warn', JSON report) and N times without it, alternating,
// while other processes keep every core busy; then prints per runner:
//   - false stalls: stalls judged against a [clean] test (it only awaits timers, file reads, a
//     first fetch(), a big module import);
//   - not judged: stalls reported without a verdict (no stack of the stalled code, or several
//     concurrent tests could own them), which never fail a test, with the reason;
//   - missed stalls: a [stalls] test (a 300 ms CPU busy loop, a long native JSON.parse) with no
//     stall finding;
//   - stalls without a stack: stall findings with no frames;
//   - inflation: median in-test time (the sum of the runner's test durations) and median wall
//     time with loopcop, against the same without it; and two steadier reads of in-test time, since
//     on a loaded machine one run's sum moves by ±15 %: the sum over tests of each test's median
//     duration (one slow run of one test moves it by that test's share only), and the median of
//     each round's ratio (with and without run back to back, under the same load);
//   - the mean in-test inflation with its 95 % interval (a bootstrap over runs): one run's sum moves
//     by ±7 % here, so 20 runs a variant leave about ±4.5 points either way, and only the interval
//     tells whether a figure near 5 % is over or under it;
//   - with --against=<tarball> (another build of loopcop, e.g. packed from main), the same runs a
//     third time with that build, in the same rotation: the two builds compared under the same load.
// Target (issue 11): 0 false, 0 missed, 0 without a stack over 10 runs, inflation under 5%.
// --from=<a.json,b.json> prints the same from runs saved with --json (of one build), pooled per
// runner, without running anything.
//
// Usage: node scripts/stress.mjs [--runs=10] [--runners=vitest-forks,vitest-threads,jest,mocha,node-test]
//                                [--no-load] [--json=<file>] [--against=<tarball>] [--from=<files>]
// It packs the built repository (run `npm run build` first) and installs the tarball into
// .cache/stress, next to copies of the fixtures. A benchmark, not a test: it exits 0 whatever it
// measures, unless a run could not be read at all.
import { spawn } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'
import { join, resolve } from 'node:path'
import { installTarball, packLoopcop, root } from './lib/pack.mjs'
import { readTests } from './lib/results.mjs'
import { checkRuns, flags, median } from './lib/measure.mjs'

const USAGE = `Usage: node scripts/stress.mjs [--runs=10] [--runners=vitest-forks,vitest-threads,jest,mocha,node-test]
                               [--no-load] [--json=<file>] [--against=<tarball>] [--from=<files>]`
const args = flags(['runs', 'runners', 'no-load', 'json', 'against', 'from'], USAGE)
const RUNS = Number(args.runs ?? 10)
const RUNNERS = String(args.runners ?? 'vitest-forks,vitest-threads,jest,mocha,node-test').split(',')
checkRuns(RUNNERS, RUNS, args.runs, USAGE)
/** The fixtures' folders under test/stress (Vitest's serve both of its pools). */
const FIXTURES = ['vitest', 'jest', 'mocha', 'node-test']
const LOAD = args['no-load'] !== true
const AGAINST = typeof args.against === 'string' ? resolve(args.against) : undefined
const cache = join(root, '.cache', 'stress')
/** The variants of each run: without loopcop, with this build, with the other build (--against). */
const VARIANTS = AGAINST === undefined ? ['with', 'without'] : ['with', 'without', 'against']
const bins = {
  vitest: join(root, 'node_modules', 'vitest', 'vitest.mjs'),
  jest: join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
  mocha: join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'),
}

/** Copies the fixtures and installs the packed tarball next to them. */
function setUp() {
  rmSync(cache, { recursive: true, force: true })
  mkdirSync(cache, { recursive: true })
  // Without it, `loopcop` would resolve to the repository itself (package self-reference).
  writeFileSync(join(cache, 'package.json'), JSON.stringify({ name: 'loopcop-stress-fixtures', private: true, type: 'commonjs' }) + '\n')
  installTarball(packLoopcop(join(cache, 'pack')), join(cache, 'node_modules'))
  for (const runner of FIXTURES) {
    cpSync(join(root, 'test', 'stress', runner), join(cache, runner), { recursive: true })
    cpSync(join(root, 'test', 'stress', 'shared', 'work.cjs'), join(cache, runner, 'work.cjs'))
  }
  if (AGAINST === undefined) return
  // The other build: the same fixtures in a folder of their own, next to that build.
  const other = join(cache, 'against')
  mkdirSync(other, { recursive: true })
  writeFileSync(join(other, 'package.json'), JSON.stringify({ name: 'loopcop-stress-fixtures-against', private: true, type: 'commonjs' }) + '\n')
  installTarball(AGAINST, join(other, 'node_modules'))
  for (const runner of FIXTURES) cpSync(join(cache, runner), join(other, runner), { recursive: true })
}

/** Busy processes on every core, until stopped. */
function startLoad() {
  if (!LOAD) return () => {}
  const children = Array.from({ length: availableParallelism() }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }))
  const stop = () => {
    for (const c of children) c.kill('SIGKILL')
  }
  process.on('exit', stop)
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130))
  return stop
}

function run(cmd, argv, options) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(cmd, argv, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, wallMs: performance.now() - started })
    })
  })
}

/** One run of a runner on its fixture (variant: 'with', 'without', 'against'): test outcomes and durations, and loopcop's stall findings. */
async function runOnce(name, variant, i) {
  const runner = name.startsWith('vitest') ? 'vitest' : name
  const withLoopcop = variant !== 'without'
  const base = variant === 'against' ? join(cache, 'against') : cache
  const cwd = join(base, runner)
  const out = join(cache, 'out', `${name}-${variant}-${i}`)
  mkdirSync(out, { recursive: true })
  const report = join(out, 'loopcop.json')
  const results = join(out, 'results.json')
  const env = { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0', STRESS_LOOPCOP: withLoopcop ? '1' : '0', NODE_PATH: join(base, 'node_modules') }
  for (const key of Object.keys(env)) if (key.startsWith('LOOPCOP_') || key.startsWith('VITEST') || key === 'NODE_OPTIONS' || key === 'GITHUB_ACTIONS') delete env[key]
  if (withLoopcop) env.LOOPCOP_REPORT = report
  let argv
  if (runner === 'vitest') {
    const pool = name === 'vitest-threads' ? 'threads' : 'forks'
    argv = [bins.vitest, 'run', `--pool=${pool}`, '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...(withLoopcop ? ['--reporter=loopcop/vitest/reporter'] : [])]
  } else if (runner === 'jest') {
    argv = [bins.jest, '--ci', '--json', '--outputFile', results, '--cacheDirectory', join(out, 'jest-cache')]
  } else if (runner === 'node-test') {
    // Each test file in a process of its own (node:test's default), as the README sets loopcop up:
    // its reporter next to the run's own (the fixture's, which writes the results file).
    env.STRESS_RESULTS = results
    const loopcop = withLoopcop ? ['--import', 'loopcop/node-test', '--test-reporter=loopcop/node-test/reporter', '--test-reporter-destination=stderr'] : []
    argv = ['--test', ...loopcop, '--test-reporter=./results.mjs', '--test-reporter-destination=stdout', 'test/a.test.cjs', 'test/b.test.cjs']
  } else {
    argv = [bins.mocha, ...(withLoopcop ? ['--require', 'loopcop/mocha'] : []), '--reporter', 'json', '--timeout', '60000', 'test/*.spec.cjs']
  }
  const result = await run(process.execPath, argv, { cwd, env })
  if (runner === 'mocha') writeFileSync(results, result.stdout)
  let tests
  try {
    tests = readTests(runner, results)
  } catch (error) {
    throw new Error(`${name} (${variant} loopcop) wrote no results (exit ${result.code}):\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`, { cause: error })
  }
  let stalls = []
  if (withLoopcop) {
    try {
      stalls = JSON.parse(readFileSync(report, 'utf8')).findings.filter((f) => f.kind === 'stall')
    } catch (error) {
      throw new Error(`${name}: loopcop wrote no report (exit ${result.code}):\n${result.stderr.slice(-3000)}`, { cause: error })
    }
  }
  return { tests, stalls, wallMs: result.wallMs, testMs: tests.reduce((sum, t) => sum + t.durationMs, 0) }
}

/** Rows saved by --json, pooled per runner (their runs, findings and durations put together). */
function pooled(files) {
  const byRunner = new Map()
  for (const file of files) {
    for (const row of JSON.parse(readFileSync(file, 'utf8'))) {
      const into = byRunner.get(row.runner)
      if (into === undefined) {
        byRunner.set(row.runner, JSON.parse(JSON.stringify(row)))
        continue
      }
      into.runs += row.runs
      for (const [key, value] of Object.entries(row)) if (Array.isArray(value)) into[key].push(...value)
      for (const [test, d] of Object.entries(row.byTest)) {
        const t = (into.byTest[test] ??= {})
        for (const [variant, ms] of Object.entries(d)) (t[variant] ??= []).push(...ms)
      }
    }
  }
  return [...byRunner.values()]
}

async function main() {
  if (typeof args.from === 'string') {
    print(pooled(args.from.split(',')))
    return
  }
  setUp()
  const stop = startLoad()
  const rows = []
  try {
    for (const name of RUNNERS) {
      const row = { runner: name, runs: 0, falseStalls: [], unjudged: [], missed: [], noStack: [], failedTests: [], withTest: [], withoutTest: [], withWall: [], withoutWall: [], againstTest: [], againstWall: [], byTest: {} }
      for (let i = 0; i < RUNS; i++) {
        // Rotate which goes first, so a drift in the machine's load hits every variant alike.
        const order = VARIANTS.map((_, k) => VARIANTS[(i + k) % VARIANTS.length])
        for (const variant of order) {
          const r = await runOnce(name, variant, i)
          row.failedTests.push(...r.tests.filter((t) => t.status !== 'passed').map((t) => `${variant}: ${t.name}`))
          for (const t of r.tests) ((row.byTest[t.name] ??= {})[variant] ??= []).push(t.durationMs)
          if (variant !== 'with') {
            row[`${variant}Test`].push(r.testMs)
            row[`${variant}Wall`].push(r.wallMs)
            continue
          }
          row.runs++
          row.withTest.push(r.testMs)
          row.withWall.push(r.wallMs)
          for (const s of r.stalls) {
            const test = s.test?.name ?? '(no test)'
            if (s.unjudged !== undefined) row.unjudged.push(`${test}: ${s.unjudged}`)
            else if (!test.includes('[stalls]')) row.falseStalls.push(`${test}${s.stack.length === 0 ? ' (no stack)' : ` at ${s.stack[0]}`}`)
            if (test.includes('[stalls]') && s.stack.length === 0) row.noStack.push(test)
          }
          for (const t of r.tests.filter((x) => x.name.includes('[stalls]'))) {
            if (!r.stalls.some((s) => s.unjudged === undefined && s.test?.name?.endsWith(t.name))) row.missed.push(t.name)
          }
        }
        process.stderr.write(`${name}: run ${i + 1}/${RUNS} done\n`)
      }
      rows.push(row)
    }
  } finally {
    stop()
  }
  print(rows)
  if (typeof args.json === 'string') writeFileSync(args.json, JSON.stringify(rows, null, 2) + '\n')
}

function print(rows) {
  const pct = (a, b) => `${((a / b - 1) * 100).toFixed(1)}%`
  const runs = typeof args.from === 'string' ? `${rows.map((r) => r.runs).join('/')} runs (${rows.map((r) => r.runner).join('/')}) pooled from ${args.from}` : `${RUNS} runs per runner, ${LOAD ? `${availableParallelism()} busy processes loading every core` : 'no extra load'}`
  console.log(`\nloopcop stress: ${runs}, Node ${process.versions.node}\n`)
  console.log('runner          runs  false  missed  no stack  not judged  in-test with/without (inflation)   wall with/without (inflation)   in-test: sum of per-test medians, median of paired ratios')
  for (const r of rows) {
    const [wt, nt, ww, nw] = [median(r.withTest), median(r.withoutTest), median(r.withWall), median(r.withoutWall)]
    const tests = Object.values(r.byTest).filter((d) => d.with !== undefined && d.without !== undefined)
    const [sw, sn] = [tests.reduce((sum, d) => sum + median(d.with), 0), tests.reduce((sum, d) => sum + median(d.without), 0)]
    const paired = median(r.withTest.map((w, i) => w / r.withoutTest[i]))
    console.log(
      `${r.runner.padEnd(15)} ${String(r.runs).padStart(4)}  ${String(r.falseStalls.length).padStart(5)}  ${String(r.missed.length).padStart(6)}  ${String(r.noStack.length).padStart(8)}  ${String(r.unjudged.length).padStart(10)}  ` +
        `${(wt / 1000).toFixed(2)} s / ${(nt / 1000).toFixed(2)} s (${pct(wt, nt)})`.padEnd(34) +
        `   ${(ww / 1000).toFixed(2)} s / ${(nw / 1000).toFixed(2)} s (${pct(ww, nw)})`.padEnd(34) +
        `   ${(sw / 1000).toFixed(2)} s / ${(sn / 1000).toFixed(2)} s (${pct(sw, sn)}), ${pct(paired, 1)}`,
    )
  }
  console.log('\nmean in-test time with ÷ without, and its 95 % interval (2,000 bootstrap resamples of the runs)')
  for (const r of rows) {
    const [low, high] = interval(r.withTest, r.withoutTest)
    console.log(`${r.runner.padEnd(15)} ${pct(mean(r.withTest), mean(r.withoutTest)).padStart(6)}  (${pct(low, 1)} … ${pct(high, 1)})`)
  }
  if (AGAINST !== undefined) {
    console.log(`\nthe other build (${AGAINST}), same runs: in-test and wall time with it, against the same without loopcop`)
    for (const r of rows) {
      const [at, nt, aw, nw] = [median(r.againstTest), median(r.withoutTest), median(r.againstWall), median(r.withoutWall)]
      console.log(`${r.runner.padEnd(15)} ${(at / 1000).toFixed(2)} s / ${(nt / 1000).toFixed(2)} s (${pct(at, nt)})   ${(aw / 1000).toFixed(2)} s / ${(nw / 1000).toFixed(2)} s (${pct(aw, nw)})`)
    }
  }
  for (const r of rows) {
    const growth = Object.entries(r.byTest)
      .filter(([, d]) => d.with !== undefined && d.without !== undefined)
      .map(([test, d]) => [test, median(d.with) - median(d.without), median(d.without)])
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
    console.log(`\n${r.runner}: the tests that grew most (median with − without)`)
    for (const [test, ms, base] of growth) console.log(`  ${ms >= 0 ? '+' : ''}${ms.toFixed(1)} ms on ${base.toFixed(1)} ms  ${test}`)
  }
  for (const r of rows) {
    for (const [label, list] of [['false stalls', r.falseStalls], ['missed stalls', r.missed], ['stalls without a stack', r.noStack], ['stalls not judged', r.unjudged], ['tests that did not pass', r.failedTests]]) {
      if (list.length === 0) continue
      const counts = new Map()
      for (const x of list) counts.set(x, (counts.get(x) ?? 0) + 1)
      console.log(`\n${r.runner}: ${label}`)
      for (const [x, n] of counts) console.log(`  ${n}× ${x}`)
    }
  }
}

function mean(values) {
  return values.reduce((sum, v) => sum + v, 0) / values.length
}

/** The 95 % bootstrap interval of mean(a) ÷ mean(b), resampling each set of runs (a fixed seed: the same runs print the same interval). */
function interval(a, b, resamples = 2000) {
  let seed = 0x9e3779b9
  const random = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const resample = (values) => {
    let sum = 0
    for (let i = 0; i < values.length; i++) sum += values[Math.floor(random() * values.length)]
    return sum / values.length
  }
  const ratios = Array.from({ length: resamples }, () => resample(a) / resample(b)).sort((x, y) => x - y)
  return [ratios[Math.floor(resamples * 0.025)], ratios[Math.ceil(resamples * 0.975) - 1]]
}

await main()
