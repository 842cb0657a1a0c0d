#!/usr/bin/env node
// `npm run pm-smoke` (CI, after `npm test`): loopcop as a pnpm user and a Yarn PnP user install it,
// under Vitest 4, Jest 30 and Mocha 12 on the system Node.
//
//   node scripts/pm-smoke.mjs                  # both package managers (builds first if dist/ is missing)
//   node scripts/pm-smoke.mjs --only=yarn      # one of them
//   node scripts/pm-smoke.mjs --update-locks   # re-resolve, and copy the lock files back to test/pm/
//   node scripts/pm-smoke.mjs --tarball=x.tgz  # that loopcop tarball instead of packing this checkout
//
// How:
// - The packed tarball (`npm pack`, as `npm publish` would) is copied to .cache/pm/loopcop.tgz, the
//   fixed path both projects depend on (`"loopcop": "file:../loopcop.tgz"`).
// - Projects: test/pm/shared/ (code under test, one blocking `fs.readFileSync`; per runner a test
//   file with a blocking, a clean async and an `allowBlocking()` test, and one with a matcher) plus
//   test/pm/<pm>/ (package.json, package-manager settings, committed lock), copied over
//   .cache/pm/<pm>/, where the install of the previous run is kept. Stores and caches live in
//   .cache/pm/ too: warm runs install in about a second and fetch nothing but loopcop.
//   - pnpm: strict isolated node_modules (`hoist: false`).
//   - Yarn berry: `nodeLinker: pnp`; the registry is npm's (`npm config get registry`), given to
//     Yarn as YARN_NPM_REGISTRY_SERVER.
// - Lock files: every build of loopcop is a new tarball, so the lock's entry for loopcop (pnpm's
//   integrity, Yarn's locator hash and checksum) changes on each run: a frozen/immutable install
//   would refuse it. So the install may write the lock (`--no-frozen-lockfile`,
//   YARN_ENABLE_IMMUTABLE_INSTALLS=false), and then the written lock, without loopcop's own entry,
//   must equal the committed one: every other package stays at its locked version, or the run
//   fails and says to run --update-locks.
// - Each runner's run is judged from its JSON results and loopcop's JSON report (LOOPCOP_REPORT):
//   the blocking test fails with a BlockingIOError naming src/config.cjs at the readFileSync line,
//   the others pass, and the report holds exactly that one finding against a test.
// Every child runs in a process group of its own with a timeout (installs 10 minutes, runs 3): a
// hang fails the step instead of stalling CI. Prints a table, then each failed step's problems and
// output (full logs in .cache/pm/logs/); exits 1 when a step failed.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, resolve as resolvePath } from 'node:path'
import { runChild } from './lib/children.mjs'
import { packLoopcop, root } from './lib/pack.mjs'
import { readTests } from './lib/results.mjs'

const INSTALL_TIMEOUT_MS = 10 * 60_000
const RUN_TIMEOUT_MS = 3 * 60_000
const cache = join(root, '.cache', 'pm')
const fixtures = join(root, 'test', 'pm')
const logs = join(cache, 'logs')
const tarballPath = join(cache, 'loopcop.tgz')

const PNPM = join(root, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs')
const YARN = join(root, 'node_modules', '@yarnpkg', 'cli-dist', 'bin', 'yarn.js')

/** What an install leaves in a project folder, kept between runs (everything else is replaced). */
const INSTALL_STATE = new Set(['node_modules', '.yarn', '.pnp.cjs', '.pnp.loader.mjs'])

/** The tests each runner's fixture has, and how each must end. */
const EXPECTED = {
  'blocking read fails': 'failed',
  'async read passes': 'passed',
  'allowBlocking passes': 'passed',
  'matcher sees the blocking read': 'passed',
}
const BLOCKING_TEST = 'blocking read fails'
const BLOCKING_FILE = 'src/config.cjs'

// ---------------------------------------------------------------------------------------------
// Child processes: each in a process group of its own, so a timeout ends it with its workers.

/** Runs a command (see scripts/lib/children.mjs) and writes its output to `log`. */
async function run(command, args, { cwd, env, timeoutMs, log }) {
  const result = await runChild(command, args, { cwd, env, timeoutMs, label: 'pm-smoke' })
  writeFileSync(log, `$ ${command} ${args.join(' ')}\n(in ${cwd}, exit ${result.code}, ${seconds(result.ms)})\n\n${result.output}`)
  return result
}

/** The environment of a child: none of this process's test-runner, loopcop or npm-script variables. */
function childEnv(extra = {}) {
  const env = { ...process.env }
  for (const key of Object.keys(env)) {
    if (/^(LOOPCOP_|VITEST|JEST_|npm_lifecycle_|npm_package_)/.test(key) || ['NODE_OPTIONS', 'GITHUB_ACTIONS', 'INIT_CWD', 'NODE_ENV'].includes(key)) delete env[key]
  }
  return { ...env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0', ...extra }
}

// ---------------------------------------------------------------------------------------------
// The package managers.

/** The registry npm uses: the one Yarn must use too (Yarn reads no .npmrc). */
function npmRegistry() {
  return execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8', timeout: 60_000 }).trim()
}

const yarnEnv = (registry) => ({
  YARN_NPM_REGISTRY_SERVER: registry,
  YARN_ENABLE_GLOBAL_CACHE: 'false',
  YARN_CACHE_FOLDER: join(cache, 'yarn-cache'),
  YARN_GLOBAL_FOLDER: join(cache, 'yarn-global'),
  YARN_ENABLE_IMMUTABLE_INSTALLS: 'false',
  YARN_ENABLE_TELEMETRY: 'false',
  YARN_ENABLE_PROGRESS_BARS: 'false',
  YARN_ENABLE_COLORS: 'false',
})

/**
 * Per package manager: its lock file, its environment, how to install, how to run a project's
 * binary (as its users do: `pnpm exec`, `yarn run`, which sets up PnP), and what to prune first.
 */
const MANAGERS = {
  pnpm: {
    lock: 'pnpm-lock.yaml',
    env: () => ({}),
    install: ['install', '--no-frozen-lockfile', '--prefer-offline', '--store-dir', join(cache, 'pnpm-store'), '--cache-dir', join(cache, 'pnpm-cache')],
    exec: (bin, args) => [PNPM, 'exec', bin, ...args],
    cli: PNPM,
  },
  yarn: {
    lock: 'yarn.lock',
    env: yarnEnv,
    install: ['install'],
    exec: (bin, args) => [YARN, 'run', bin, ...args],
    cli: YARN,
    /** Zips of earlier loopcop tarballs: a new one is cached on every build. */
    prune: () => {
      const dir = join(cache, 'yarn-cache')
      if (!existsSync(dir)) return
      for (const name of readdirSync(dir)) if (name.startsWith('loopcop-file-')) rmSync(join(dir, name), { force: true })
    },
  },
}

/**
 * A lock file without loopcop's own entry: the block (lines up to a blank line) whose key names the
 * `file:` dependency and which records a resolution (pnpm's `packages:` entry with the integrity,
 * Yarn's entry with the locator hash and checksum). What loopcop's peers resolved to stays.
 */
function withoutLoopcop(text) {
  const blocks = text.replace(/\r\n/g, '\n').split(/\n(?:[ \t]*\n)+/)
  return blocks.filter((block) => !(/^\s*['"]?loopcop@file:/.test(block) && /\bresolution:/.test(block))).join('\n\n')
}

/** The lines of `b` that differ from `a` (a short sketch of the change, not a full diff). */
function sketchDiff(a, b, limit = 20) {
  const before = new Set(a.split('\n'))
  const after = new Set(b.split('\n'))
  const lines = [...a.split('\n').filter((l) => !after.has(l)).map((l) => `- ${l}`), ...b.split('\n').filter((l) => !before.has(l)).map((l) => `+ ${l}`)]
  return lines.slice(0, limit).join('\n') + (lines.length > limit ? `\n… ${lines.length - limit} more lines` : '')
}

// ---------------------------------------------------------------------------------------------
// The runners.

/** The 1-based line of the blocking call in the fixture's code under test. */
function blockingLine() {
  const lines = readFileSync(join(fixtures, 'shared', BLOCKING_FILE), 'utf8').split('\n')
  const index = lines.findIndex((line) => line.includes('fs.readFileSync('))
  if (index < 0) throw new Error(`pm-smoke: no fs.readFileSync( call in test/pm/shared/${BLOCKING_FILE}`)
  return index + 1
}

/**
 * How each runner is started in a project folder, given where its JSON results go. Vitest runs the
 * README's set-up (`setupFiles: ['loopcop/vitest']`) under pnpm and Yarn PnP alike: a package whose
 * `./vitest` entry got a CommonJS branch again would fail under PnP, as it would for users.
 */
const RUNNERS = {
  vitest: () => ['vitest', ['run', '--config', 'vitest.config.mjs']],
  // A fresh cache directory: without recorded timings Jest runs the two files in workers, not in band.
  jest: (results) => ['jest', ['--json', `--outputFile=${join(results, 'jest.json')}`, `--cacheDirectory=${join(results, 'jest-cache')}`, '--maxWorkers=2']],
  mocha: (results) => ['mocha', ['--require', 'loopcop/mocha', '--reporter', 'json', '--reporter-option', `output=${join(results, 'mocha.json')}`, 'mocha/**/*.test.mjs']],
}

/** What is wrong with a runner's run (an empty list when nothing is). */
function judge(result, resultsFile, reportFile, runner, line) {
  if (result.timedOut) return ['timed out']
  const problems = []
  if (!existsSync(resultsFile)) return [`the runner wrote no JSON results (exit code ${result.code})`]
  let tests
  try {
    tests = readTests(runner, resultsFile)
  } catch (error) {
    return [`the runner's JSON results could not be read: ${error.message}`]
  }
  const where = new RegExp(`${BLOCKING_FILE.replace(/\./g, '\\.')}:${line}\\b`)
  for (const [name, status] of Object.entries(EXPECTED)) {
    const found = tests.filter((t) => t.name === name)
    const test = found[0]
    if (test === undefined) problems.push(`no test "${name}" in the results`)
    else if (found.length > 1) problems.push(`${found.length} tests "${name}" in the results`)
    else if (test.status !== status) problems.push(`"${name}" ${test.status}, expected ${status}${test.failure ? `:\n${indent(test.failure)}` : ''}`)
    else if (name === BLOCKING_TEST) {
      if (!test.failure.includes('BlockingIOError')) problems.push(`"${name}" failed without a BlockingIOError:\n${indent(test.failure)}`)
      if (!where.test(test.failure)) problems.push(`"${name}" failed without naming ${BLOCKING_FILE}:${line}:\n${indent(test.failure)}`)
    }
  }
  for (const t of tests.filter((x) => !(x.name in EXPECTED))) problems.push(`unexpected ${t.status} entry ${t.name}${t.failure ? `:\n${indent(t.failure)}` : ''}`)
  if (result.code !== 1) problems.push(`the run exited ${result.code}, expected 1 (one failed test)`)

  if (!existsSync(reportFile)) return [...problems, 'loopcop wrote no JSON report (LOOPCOP_REPORT)']
  let report
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8'))
  } catch (error) {
    return [...problems, `loopcop's JSON report could not be read: ${error.message}`]
  }
  const show = (list) => indent(list.map((f) => JSON.stringify({ kind: f.kind, operation: f.operation, allowed: f.allowed, scope: f.scope, test: f.test?.name, location: f.location })).join('\n') || '(none)')
  if (report.version !== 1) problems.push(`report: version ${report.version}, expected 1`)
  // What a test is charged with: not allowed, not a matcher's subject (those findings belong to the assertion).
  const charged = (report.findings ?? []).filter((f) => f.allowed === false && f.scope !== 'assertion')
  const hit = charged.filter(
    (f) => f.kind === 'sync-io' && f.operation === 'fs.readFileSync' && f.test?.name?.includes(BLOCKING_TEST) && f.location?.file?.endsWith(BLOCKING_FILE) && f.location?.line === line,
  )
  if (hit.length !== 1 || charged.length !== 1) problems.push(`report: expected one not-allowed fs.readFileSync finding at ${BLOCKING_FILE}:${line} charged to "${BLOCKING_TEST}", and no other; charged findings:\n${show(charged)}`)
  // loopcop does not record what allowBlocking() lets through; whatever the report has for that test must be allowed.
  const allowed = (report.findings ?? []).filter((f) => f.test?.name?.includes('allowBlocking passes') && f.allowed !== true)
  if (allowed.length > 0) problems.push(`report: not-allowed findings for "allowBlocking passes":\n${show(allowed)}`)
  return problems
}

// ---------------------------------------------------------------------------------------------
// Output.

function indent(text, by = '    ') {
  return text
    .split('\n')
    .map((l) => by + l)
    .join('\n')
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`
}

/** The end of a long output: what a failure's reader needs first. */
function tail(text, lines = 60) {
  const all = text.trimEnd().split('\n')
  return (all.length > lines ? [`… (${all.length - lines} lines before; full log in ${relative(root, logs)}/)`, ...all.slice(-lines)] : all).join('\n')
}

function printTable(rows) {
  const header = ['package manager', 'step', 'result', 'time', 'note']
  const cells = rows.map((r) => [r.pm, r.step, r.ok ? 'ok' : 'FAILED', r.ms === undefined ? '' : seconds(r.ms), r.note ?? ''])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const line = (c) => c.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd()
  console.log(`\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}`)
  for (const c of cells) console.log(line(c))
}

// ---------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const options = { only: Object.keys(MANAGERS), updateLocks: false, tarball: undefined }
  for (const arg of argv) {
    if (arg === '--update-locks') options.updateLocks = true
    else if (arg.startsWith('--tarball=')) options.tarball = resolvePath(arg.slice('--tarball='.length))
    else if (arg.startsWith('--only=')) options.only = arg.slice('--only='.length).split(',').filter(Boolean)
    else {
      console.error(`pm-smoke: unknown argument ${arg}\nusage: node scripts/pm-smoke.mjs [--only=pnpm,yarn] [--update-locks] [--tarball=<loopcop .tgz>]`)
      process.exit(2)
    }
  }
  const unknown = options.only.filter((pm) => !(pm in MANAGERS))
  if (unknown.length > 0) {
    console.error(`pm-smoke: unknown package manager ${unknown.join(', ')} (known: ${Object.keys(MANAGERS).join(', ')})`)
    process.exit(2)
  }
  return options
}

/** Copies a project over its folder in .cache/pm/, keeping only the previous install. */
function prepareProject(pm) {
  const dir = join(cache, pm)
  mkdirSync(dir, { recursive: true })
  for (const entry of readdirSync(dir)) if (!INSTALL_STATE.has(entry)) rmSync(join(dir, entry), { recursive: true, force: true })
  cpSync(join(fixtures, 'shared'), dir, { recursive: true })
  cpSync(join(fixtures, pm), dir, { recursive: true })
  mkdirSync(join(dir, 'results'), { recursive: true })
  return dir
}

/** Installs a project; returns the table row (with the problems and output when it failed). */
async function install(pm, dir, { registry, updateLocks }) {
  const manager = MANAGERS[pm]
  const committed = join(fixtures, pm, manager.lock)
  const written = join(dir, manager.lock)
  // Re-resolve from nothing. Yarn needs a lock file to know the folder is a project of its own (the
  // repository above it has a package.json).
  if (updateLocks) writeFileSync(written, '')
  manager.prune?.()
  const result = await run(process.execPath, [manager.cli, ...manager.install], { cwd: dir, env: childEnv(manager.env(registry)), timeoutMs: INSTALL_TIMEOUT_MS, log: join(logs, `${pm}-install.log`) })
  const version = JSON.parse(readFileSync(join(manager.cli, '..', '..', 'package.json'), 'utf8')).version
  const row = { pm: `${pm} ${version}`, step: 'install', ms: result.ms, ok: false, output: result.output, problems: [], installed: result.code === 0 && !result.timedOut }
  if (result.timedOut) row.problems.push('timed out')
  else if (result.code !== 0) row.problems.push(`exit code ${result.code}`)
  else if (!existsSync(written)) row.problems.push(`no ${manager.lock} was written`)
  else if (updateLocks) {
    cpSync(written, committed)
    row.note = `${relative(root, committed)} updated`
  } else if (!existsSync(committed)) row.problems.push(`${relative(root, committed)} is missing: run node scripts/pm-smoke.mjs --update-locks`)
  else {
    const before = withoutLoopcop(readFileSync(committed, 'utf8'))
    const after = withoutLoopcop(readFileSync(written, 'utf8'))
    if (before !== after) {
      row.problems.push(
        `the install changed ${manager.lock} beyond loopcop's own entry (package.json or loopcop's peers changed?): run node scripts/pm-smoke.mjs --update-locks and commit ${relative(root, committed)}. Changed lines:\n${indent(sketchDiff(before, after))}`,
      )
    } else row.note = 'lock unchanged but for loopcop'
  }
  row.ok = row.problems.length === 0
  return row
}

/** Runs one runner in an installed project; returns the table row. */
async function runRunner(pm, runner, dir, { registry, line }) {
  const manager = MANAGERS[pm]
  const results = join(dir, 'results')
  const report = join(results, `${runner}-loopcop.json`)
  const resultsFile = join(results, `${runner}.json`)
  const [bin, args] = RUNNERS[runner](results)
  const env = childEnv({ ...manager.env(registry), LOOPCOP_REPORT: report })
  const result = await run(process.execPath, manager.exec(bin, args), { cwd: dir, env, timeoutMs: RUN_TIMEOUT_MS, log: join(logs, `${pm}-${runner}.log`) })
  const problems = judge(result, resultsFile, report, runner, line)
  return { pm, step: runner, ms: result.ms, ok: problems.length === 0, problems, output: result.output, note: runner === 'vitest' ? "setupFiles: ['loopcop/vitest']" : undefined }
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  const started = Date.now()
  mkdirSync(logs, { recursive: true })
  const rows = []

  const packStarted = Date.now()
  if (options.tarball === undefined) {
    if (!existsSync(join(root, 'dist', 'esm', 'src', 'index.js'))) {
      console.log('pm-smoke: dist/ is missing: npm run build')
      execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', timeout: 10 * 60_000 })
    }
    rmSync(join(cache, 'pack'), { recursive: true, force: true })
    cpSync(packLoopcop(join(cache, 'pack')), tarballPath)
  } else cpSync(options.tarball, tarballPath)
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarballPath, 'package/package.json'], { encoding: 'utf8' }))
  rows.push({ pm: '-', step: options.tarball === undefined ? 'pack' : 'tarball', ms: Date.now() - packStarted, ok: true, note: `${manifest.name}@${manifest.version} → ${relative(root, tarballPath)}` })

  const registry = npmRegistry()
  const line = blockingLine()
  for (const pm of options.only) {
    const dir = prepareProject(pm)
    const installed = await install(pm, dir, { registry, updateLocks: options.updateLocks })
    rows.push(installed)
    // A lock drift is reported, but the runs still say whether loopcop works.
    if (!installed.installed) continue
    for (const runner of Object.keys(RUNNERS)) rows.push(await runRunner(pm, runner, dir, { registry, line }))
  }

  printTable(rows)
  const failed = rows.filter((r) => !r.ok)
  for (const row of failed) {
    console.log(`\n=== ${row.pm} ${row.step}: FAILED\n${row.problems.map((p) => `- ${p}`).join('\n')}`)
    if (row.output) console.log(`--- output\n${tail(row.output)}`)
  }
  console.log(`\npm-smoke: ${failed.length === 0 ? 'all passed' : `${failed.length} step${failed.length === 1 ? '' : 's'} failed`} in ${seconds(Date.now() - started)} (logs: ${relative(root, logs)}/)`)
  if (failed.length > 0) process.exitCode = 1
}

await main()
