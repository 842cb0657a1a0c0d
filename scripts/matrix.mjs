#!/usr/bin/env node
// The version matrix: loopcop as users install it, on Node 20, 22, 24 and 26 × Vitest 4 and 5 ×
// Jest 29 and 30 × Mocha 10, 11 and 12, and Node's own test runner (Vitest 5 only where Node ≥
// 22.12). A smoke layer: the end-to-end suite (`npm test`) stays on the default Node.
//
//   node scripts/matrix.mjs                      # everything (needs `npm run build` first)
//   node scripts/matrix.mjs --node=22,24         # only these Node majors
//   node scripts/matrix.mjs --only=vitest5,jest30 # only these runner projects
//
// How:
// - Node binaries: the registry's `node-<platform>-<arch>@<major>` package, installed once into
//   .cache/node/<major>/ (never the root node_modules/.bin). Node 20 is the system node when it is
//   a Node 20, else the package too.
// - Runner projects: test/matrix/projects/<name>/ (a package.json and its committed lock file),
//   copied to .cache/matrix/<name>/ and `npm ci`ed when the lock changed (a hash is kept); then the
//   tarball `npm pack` makes is installed there with `npm install --no-save` on every run, peer
//   ranges checked as a user meets them (an ERESOLVE fails the project's cells, with npm's words).
// - Cells: a fixture (test/matrix/fixtures/<runner>/, four tests: blocking, clean, allowed,
//   matcher; Vitest's two more: configured, for its options in `test.provide.loopcop`, and spied, a
//   read through `vi.spyOn`, whose frames Vitest 5 bundles into the vitest package) copied into
//   .cache/matrix/<name>/cells/<cell>/ and run by that project's runner on
//   that Node; judged from the runner's JSON results and loopcop's JSON report (LOOPCOP_REPORT).
//   Vitest 5 on Node 24 also runs with --pool=threads and --pool=vmThreads (with the preload).
//   The Vitest and Jest projects type-check a file using the matcher with their own TypeScript.
// - mocha12beta: Mocha 12.0.0-beta-10, a prerelease, which npm's peer check takes only where
//   loopcop's peer range names its major's prereleases.
// - vitest3, vitest30 (3.0: no TestModule.meta()), jest28, jest27 and mocha9 are too old: their cells pass only when loopcop refuses them
//   with its "needs Vitest 4 or later" / "needs Jest 29 or later" / "needs Mocha 10 or later" error. Jest 27 reads no package `exports`
//   (it cannot find `loopcop/jest` or the reporter), so its cell names the environment alone.
// Two cells at a time (CI has 2 cores); a child that runs longer than 5 minutes fails its cell.
// Prints a table (✓ passed, ✗ failed, — not applicable), then each failed cell's output; exits 1
// when a cell failed.
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { runChild } from './lib/children.mjs'
import { prepareNode } from './lib/node-versions.mjs'
import { readTests } from './lib/results.mjs'
import { packLoopcop, root } from './lib/pack.mjs'

const NODE_MAJORS = [20, 22, 24, 26]
const CONCURRENCY = 2
const CELL_TIMEOUT_MS = 5 * 60_000
// An install takes seconds to a minute; one that has not ended in 5 minutes hangs on the network
// (a registry connection that stalls, seen once in a CI run) and is killed and run again, twice.
const INSTALL_TIMEOUT_MS = 5 * 60_000
const INSTALL_ATTEMPTS = 3
const cache = join(root, '.cache')
const projectsDir = join(root, 'test', 'matrix', 'projects')
const fixturesDir = join(root, 'test', 'matrix', 'fixtures')

/**
 * The runner projects (test/matrix/projects/<name>/), in table order. `runner`: the fixture and how
 * to run it; `bin`: the package whose `bin` runs it; `typecheck`: also compile the fixture's types
 * with the project's TypeScript; `minNode`: the oldest Node the runner supports (older: —);
 * `pools`: extra Vitest pools run on one Node; `refuses`: a too-old runner, whose cell must fail
 * with this message (and whose run summary must say `summary`, where given); `nodes`: run only on these majors; `jestConfig`: the Jest config given on the
 * command line in place of the fixture's. The vitest4/vitest5 projects hold vite at 8.3 (see
 * their package.json description).
 */
const PROJECTS = {
  vitest4: { runner: 'vitest', bin: 'vitest', typecheck: true },
  vitest5: { runner: 'vitest', bin: 'vitest', typecheck: true, minNode: [22, 12], pools: { node: 24, names: ['threads', 'vmThreads'] } },
  jest29: { runner: 'jest', bin: 'jest', typecheck: true },
  jest30: { runner: 'jest', bin: 'jest', typecheck: true },
  mocha10: { runner: 'mocha', bin: 'mocha' },
  mocha11: { runner: 'mocha', bin: 'mocha' },
  mocha12: { runner: 'mocha', bin: 'mocha' },
  // A prerelease of a supported major (adm-zip pins Mocha 12.0.0-beta-10): npm must accept loopcop's
  // peer range for it, which a plain `>=10` does not (ERESOLVE); one Node is enough for that.
  mocha12beta: { runner: 'mocha', bin: 'mocha', nodes: [24] },
  // Node's own test runner: no runner to install (no `bin`), only loopcop.
  'node-test': { runner: 'node-test' },
  vitest3: { runner: 'vitest', bin: 'vitest', refuses: 'needs Vitest 4 or later', summary: 'loopcop: no test file was checked: loopcop/vitest needs Vitest 4 or later', nodes: [20] },
  // Vitest 3.0 lacks TestModule.meta(), which the reporter's collecting read before saying why (tsup's).
  vitest30: { runner: 'vitest', bin: 'vitest', refuses: 'needs Vitest 4 or later', summary: 'loopcop: no test file was checked: loopcop/vitest needs Vitest 4 or later', nodes: [20] },
  jest28: { runner: 'jest', bin: 'jest', refuses: 'needs Jest 29 or later', nodes: [20] },
  jest27: { runner: 'jest', bin: 'jest', refuses: 'needs Jest 29 or later', nodes: [20], jestConfig: { testEnvironment: 'loopcop/jest/environment', testMatch: ['<rootDir>/tests/**/*.test.js'] } },
  mocha9: { runner: 'mocha', bin: 'mocha', refuses: 'needs Mocha 10 or later', nodes: [20] },
}

// ---------------------------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  const out = { nodes: NODE_MAJORS, only: Object.keys(PROJECTS) }
  for (const arg of argv) {
    const [key, value = ''] = arg.split('=')
    const list = value.split(',').map((s) => s.trim()).filter(Boolean)
    if (key === '--node') {
      const majors = list.map(Number)
      const wrong = majors.filter((m) => !NODE_MAJORS.includes(m))
      if (wrong.length > 0 || majors.length === 0) usage(`--node takes majors among ${NODE_MAJORS.join(', ')}, got "${value}"`)
      out.nodes = majors
    } else if (key === '--only') {
      const wrong = list.filter((p) => !(p in PROJECTS))
      if (wrong.length > 0 || list.length === 0) usage(`--only takes projects among ${Object.keys(PROJECTS).join(', ')}, got "${value}"`)
      out.only = list
    } else if (key === '--help' || key === '-h') {
      usage()
    } else {
      usage(`unknown option ${arg}`)
    }
  }
  return out
}

function usage(error) {
  const text = 'usage: node scripts/matrix.mjs [--node=20,22,24,26] [--only=vitest4,vitest5,jest29,jest30,mocha10,mocha11,mocha12,mocha12beta,node-test,vitest3,vitest30,jest28,jest27,mocha9]'
  if (error === undefined) {
    console.log(text)
    process.exit(0)
  }
  console.error(`matrix: ${error}\n${text}`)
  process.exit(2)
}

// ---------------------------------------------------------------------------------------------
// Child processes: each in a process group of its own, so a timeout ends it with its workers.

/** Runs a command (see scripts/lib/children.mjs); resolves with its exit code, output and whether it timed out. */
function run(command, args, { cwd, env = process.env, timeoutMs = CELL_TIMEOUT_MS }) {
  return runChild(command, args, { cwd, env, timeoutMs, label: 'matrix' })
}

/** Runs an npm install; one that hangs (killed at its timeout) is run again, up to `INSTALL_ATTEMPTS` times in all. */
async function npmInstall(args, { cwd, env }) {
  let r
  for (let attempt = 1; attempt <= INSTALL_ATTEMPTS; attempt++) {
    r = await run('npm', args, { cwd, env, timeoutMs: INSTALL_TIMEOUT_MS })
    if (!r.timedOut) return r
    console.error(`matrix: npm ${args.join(' ')} in ${relative(root, cwd)} hung (attempt ${attempt} of ${INSTALL_ATTEMPTS})`)
  }
  return r
}

/** The environment of a runner child: none of this process's test-runner or loopcop variables. */
function childEnv(nodeBin, extra) {
  const env = { ...process.env }
  for (const key of Object.keys(env)) {
    if (/^(LOOPCOP_|VITEST|JEST_|npm_)/.test(key) || ['NODE_OPTIONS', 'GITHUB_ACTIONS', 'INIT_CWD', 'NODE_ENV'].includes(key)) delete env[key]
  }
  // `node` on the PATH is the cell's Node too, for anything a runner spawns by name.
  return { ...env, PATH: `${dirname(nodeBin)}:${env.PATH ?? ''}`, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0', ...extra }
}

/** At most `n` tasks at a time, first come first served. */
function limiter(n) {
  let active = 0
  const queue = []
  const next = () => {
    if (active >= n || queue.length === 0) return
    active++
    const { task, resolve } = queue.shift()
    // A task that throws resolves to `{ error }`: one broken cell never stops the others.
    task().catch((error) => ({ error: `matrix: ${error.stack ?? error}` })).then(resolve).finally(() => {
      active--
      next()
    })
  }
  return (task) => new Promise((resolve) => {
    queue.push({ task, resolve })
    next()
  })
}

function memo(fn) {
  const cached = new Map()
  return (key) => {
    if (!cached.has(key)) cached.set(key, fn(key))
    return cached.get(key)
  }
}

// ---------------------------------------------------------------------------------------------
// Node binaries

function atLeast(version, [major, minor]) {
  const [a = 0, b = 0] = version.split('.').map(Number)
  return a > major || (a === major && b >= minor)
}

// ---------------------------------------------------------------------------------------------
// Runner projects

function hashFiles(paths) {
  const hash = createHash('sha256')
  for (const path of paths) hash.update(readFileSync(path))
  return hash.digest('hex')
}

/**
 * `npm ci` the project (only when its lock changed) and installs the tarball with npm, peer ranges
 * checked. Resolves to `{ dir, versions }` or `{ error }`.
 */
async function prepareProject(name, tarball) {
  const source = join(projectsDir, name)
  const dir = join(cache, 'matrix', name)
  const files = ['package.json', 'package-lock.json']
  const hash = hashFiles(files.map((f) => join(source, f)))
  const stamp = join(dir, '.matrix-hash')
  const npmEnv = { ...process.env, npm_config_update_notifier: 'false' }
  if (!existsSync(join(dir, 'node_modules')) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== hash) {
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    for (const f of files) cpSync(join(source, f), join(dir, f))
    const r = await npmInstall(['ci', '--no-audit', '--no-fund'], { cwd: dir, env: npmEnv })
    if (r.code !== 0) return { error: `npm ci failed in ${relative(root, dir)} (exit ${r.code}):\n${r.output}` }
    writeFileSync(stamp, hash)
  }
  // The too-old runners: loopcop's peer ranges refuse them (ERESOLVE). A user who forces the
  // install with --legacy-peer-deps gets the runtime error these cells expect; so do they.
  const legacy = PROJECTS[name].refuses !== undefined ? ['--legacy-peer-deps'] : []
  const r = await npmInstall(['install', '--no-save', '--no-audit', '--no-fund', ...legacy, tarball], { cwd: dir, env: npmEnv })
  if (r.code !== 0) return { error: `npm install --no-save ${legacy.join(' ')}${legacy.length > 0 ? ' ' : ''}${relative(root, tarball)} failed in ${relative(root, dir)} (exit ${r.code}):\n${r.output}` }
  // What npm installed must be the tarball just packed, not a copy npm kept from an earlier run.
  const installed = JSON.parse(readFileSync(join(dir, 'node_modules', '.package-lock.json'), 'utf8')).packages?.['node_modules/loopcop']
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`
  if (installed?.integrity !== integrity) return { error: `node_modules/loopcop in ${relative(root, dir)} is not the tarball just packed: ${JSON.stringify(installed)}` }
  const versions = {}
  for (const pkg of [PROJECTS[name].bin, 'chai', 'typescript', 'loopcop'].filter((p) => p !== undefined)) {
    const manifest = join(dir, 'node_modules', pkg, 'package.json')
    if (existsSync(manifest)) versions[pkg] = JSON.parse(readFileSync(manifest, 'utf8')).version
  }
  return { dir, versions }
}

/** The command-line script of a package installed in a project. */
function binOf(projectDir, pkg, command = pkg) {
  const manifest = JSON.parse(readFileSync(join(projectDir, 'node_modules', pkg, 'package.json'), 'utf8'))
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin[command]
  return join(projectDir, 'node_modules', pkg, bin)
}

// ---------------------------------------------------------------------------------------------
// Cells

/** A fresh copy of a runner's fixture, inside the project so that its node_modules resolves. */
function freshCell(projectDir, runner, id) {
  const dir = join(projectDir, 'cells', id)
  rmSync(dir, { recursive: true, force: true })
  cpSync(join(fixturesDir, runner), dir, { recursive: true })
  return dir
}

/** The line of the fixture's src/app file marked `// matrix: blocks`. */
const blockingLine = memo((runner) => {
  const file = runner === 'vitest' ? 'app.ts' : 'app.js'
  const lines = readFileSync(join(fixturesDir, runner, 'src', file), 'utf8').split('\n')
  return { file: `src/${file}`, line: lines.findIndex((l) => l.includes('// matrix: blocks')) + 1 }
})

/** Runs one cell's runner; resolves to `{ result, dir, results, report }`. */
async function runRunner(project, node, pool, id) {
  const { runner } = PROJECTS[project.name]
  const dir = freshCell(project.dir, runner, id)
  const results = join(dir, 'results.json')
  const report = join(dir, 'loopcop-report.json')
  const env = childEnv(node.bin, { LOOPCOP_REPORT: report, MATRIX_RESULTS: results, ...(pool !== undefined && { MATRIX_POOL: pool }) })
  const { bin, jestConfig } = PROJECTS[project.name]
  const args = {
    vitest: ['run', ...(pool !== undefined ? [`--pool=${pool}`] : [])],
    jest: ['--ci', '--json', `--outputFile=${results}`, `--cacheDirectory=${join(dir, '.jest-cache')}`, ...(jestConfig !== undefined ? ['--config', JSON.stringify(jestConfig)] : [])],
    mocha: ['--reporter', 'json', '--reporter-option', `output=${results}`],
    // loopcop in every test process, its reporter next to the cell's (results in Jest's shape).
    'node-test': ['--test', '--import', 'loopcop/node-test', '--test-reporter=./results-reporter.mjs', `--test-reporter-destination=${results}`, '--test-reporter=loopcop/node-test/reporter', '--test-reporter-destination=stderr', 'test/cell.test.mjs'],
  }[runner]
  const result = await run(node.bin, [...(bin !== undefined ? [binOf(project.dir, bin)] : []), ...args], { cwd: dir, env })
  return { result, dir, results, report }
}

/** What is wrong with a normal cell's outcome (an empty list when nothing is). */
function judge(runner, cell) {
  const problems = []
  if (cell.result.timedOut) return ['timed out']
  if (!existsSync(cell.results)) return [`the runner wrote no JSON results (exit code ${cell.result.code})`]
  let tests
  try {
    tests = readTests(runner, cell.results)
  } catch (error) {
    return [`the runner's JSON results could not be read: ${error.message}`]
  }
  const where = blockingLine(runner)
  // Vitest's cells are configured in the config (`test.provide.loopcop`: `testCode: 'check'`), so a
  // blocking call the test file makes itself fails its test there, and passes where the options are lost.
  // node:test's cells, on every Node major, also hold the catalog against that Node's builtins.
  const expected = { blocking: 'failed', clean: 'passed', allowed: 'passed', matcher: 'passed', ...(runner === 'vitest' && { configured: 'failed', spied: 'failed' }), ...(runner === 'node-test' && { catalog: 'passed' }) }
  for (const [key, status] of Object.entries(expected)) {
    const test = tests.find((t) => t.name.startsWith(`${key}:`))
    if (test === undefined) problems.push(`no test "${key}: …" in the results`)
    else if (test.status !== status) problems.push(`"${test.name}" ${test.status}, expected ${status}${test.failure ? `:\n${indent(test.failure)}` : ''}`)
    else if (key === 'configured' && !/BlockingIOError[^]*fs\.statSync/.test(test.failure)) problems.push(`"${test.name}" failed without a BlockingIOError for its fs.statSync:\n${indent(test.failure)}`)
    else if (key === 'blocking' || key === 'spied') {
      if (!test.failure.includes('BlockingIOError')) problems.push(`"${test.name}" failed without a BlockingIOError:\n${indent(test.failure)}`)
      const at = new RegExp(`${where.file.replace('.', '\\.')}:${where.line}\\b`)
      if (!at.test(test.failure)) problems.push(`"${test.name}" failed without naming ${where.file}:${where.line}:\n${indent(test.failure)}`)
    }
  }
  for (const t of tests.filter((x) => !Object.keys(expected).some((k) => x.name.startsWith(`${k}:`)))) problems.push(`unexpected ${t.status} entry ${t.name}: ${t.failure}`)
  if (cell.result.code === 0) problems.push('the run exited 0 although a test failed')

  if (!existsSync(cell.report)) return [...problems, 'loopcop wrote no JSON report (LOOPCOP_REPORT)']
  let report
  try {
    report = JSON.parse(readFileSync(cell.report, 'utf8'))
  } catch (error) {
    return [...problems, `loopcop's JSON report could not be read: ${error.message}`]
  }
  const findings = (key) => (report.findings ?? []).filter((f) => f.test?.name?.includes(`${key}:`))
  const show = (fs) => indent(fs.map((f) => JSON.stringify({ kind: f.kind, operation: f.operation, allowed: f.allowed, scope: f.scope, test: f.test?.name, location: f.location })).join('\n') || '(none)')
  const blocking = findings('blocking')
  const hit = blocking.find((f) => f.kind === 'sync-io' && f.operation === 'fs.readFileSync' && f.allowed === false && f.location?.file?.endsWith(where.file) && f.location?.line === where.line)
  if (hit === undefined) problems.push(`report: no not-allowed fs.readFileSync finding at ${where.file}:${where.line} for "blocking:"; its findings:\n${show(blocking)}`)
  if (runner === 'vitest') {
    const spied = findings('spied')
    if (!spied.some((f) => f.operation === 'fs.readFileSync' && f.allowed === false && f.location?.file?.endsWith(where.file) && f.location?.line === where.line && f.offender === undefined)) {
      problems.push(`report: no not-allowed fs.readFileSync finding at ${where.file}:${where.line} (no package named) for "spied:"; its findings:\n${show(spied)}`)
    }
  }
  const clean = findings('clean')
  if (clean.length > 0) problems.push(`report: findings for "clean:":\n${show(clean)}`)
  // loopcop does not record what allowBlocking() lets through (its scope is quiet: nothing is counted,
  // by design of the per-call cost), so the report may have no finding for this test; whatever it
  // has must be marked allowed.
  const allowed = findings('allowed')
  if (allowed.some((f) => f.allowed !== true)) problems.push(`report: not-allowed findings for "allowed:":\n${show(allowed)}`)
  const charged = findings('matcher').filter((f) => f.allowed === false && f.scope !== 'assertion')
  if (charged.length > 0) problems.push(`report: the matcher's subject was charged to the test "matcher:":\n${show(charged)}`)
  return problems
}

function indent(text, by = '    ') {
  return text.split('\n').map((l) => by + l).join('\n')
}

// ---------------------------------------------------------------------------------------------
// Table

function table(columns, rows, cells) {
  const head = ['', ...columns.map((c) => c.label)]
  const body = rows.map((row) => [row.label, ...columns.map((c) => {
    const cell = cells.get(`${row.key}|${c.key}`)
    return cell === undefined ? '—' : cell.ok ? '✓' : '✗'
  })])
  const widths = head.map((_, i) => Math.max(...[head, ...body].map((r) => r[i].length)))
  const line = (r) => r.map((s, i) => (i === 0 ? s.padEnd(widths[i]) : s.padStart(Math.ceil((widths[i] + s.length) / 2)).padEnd(widths[i]))).join(' │ ')
  return [line(head), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...body.map(line)].join('\n')
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const options = parseArgs(process.argv.slice(2))
  const started = Date.now()
  const pack = join(cache, 'matrix', 'pack')
  rmSync(pack, { recursive: true, force: true })
  // A folder of its own per run: npm sees a new tarball path and never reuses the previous one.
  let tarball
  try {
    tarball = packLoopcop(join(pack, String(Date.now())))
  } catch (error) {
    console.error(`matrix: ${error.message}`)
    process.exit(1)
  }
  console.log(`matrix: packed ${relative(root, tarball)}; Node ${options.nodes.join(', ')}; projects ${options.only.join(', ')}`)

  const limit = limiter(CONCURRENCY)
  const node = memo((major) => limit(() => prepareNode(major)))
  const project = memo((name) => limit(() => prepareProject(name, tarball)))
  const cells = new Map()
  const finish = (rowKey, colKey, label, outcome) => {
    cells.set(`${rowKey}|${colKey}`, { label, ...outcome })
    console.log(`${outcome.ok ? '✓' : '✗'} ${label}${outcome.ms !== undefined ? ` (${seconds(outcome.ms)})` : ''}`)
  }

  // A job waits for what it needs (outside the limiter), then takes a slot; a job that throws fails
  // its cell instead of the run.
  const jobs = []
  const schedule = (rowKey, colKey, label, needs, body) => {
    jobs.push(needs.then((ready) => limit(async () => {
      try {
        const outcome = await body(...ready)
        if (outcome !== undefined) finish(rowKey, colKey, outcome.label ?? label, outcome)
      } catch (error) {
        finish(rowKey, colKey, label, { ok: false, problems: ['the matrix script failed on this cell'], output: String(error.stack ?? error) })
      }
    })))
  }
  const notInstalled = (p) => ({ ok: false, problems: ['the project could not be installed (npm output below)'], output: p.error })

  const columns = []
  for (const name of options.only) {
    const spec = PROJECTS[name]
    columns.push({ key: name, label: spec.refuses !== undefined ? `${name} (must refuse)` : name })
    const extraPools = spec.pools !== undefined && options.nodes.includes(spec.pools.node) ? spec.pools.names : []
    for (const pool of extraPools) columns.push({ key: `${name}/${pool}`, label: `${name} ${pool}` })
    if (spec.typecheck) {
      schedule('tsc', name, `${name}: tsc`, Promise.all([project(name)]), async (p) => {
        if (p.error !== undefined) return notInstalled(p)
        const dir = freshCell(p.dir, spec.runner, 'tsc')
        const r = await run(process.execPath, [binOf(p.dir, 'typescript', 'tsc'), '-p', 'tsconfig.json'], { cwd: dir, env: childEnv(process.execPath, {}) })
        return { ok: r.code === 0, problems: r.code === 0 ? [] : [`tsc exited ${r.code}${r.timedOut ? ' (timed out)' : ''}`], output: r.output, ms: r.ms }
      })
    }
    for (const major of options.nodes) {
      if (spec.nodes !== undefined && !spec.nodes.includes(major)) continue
      for (const pool of [undefined, ...(major === spec.pools?.node ? extraPools : [])]) {
        const colKey = pool === undefined ? name : `${name}/${pool}`
        const poolArg = pool !== undefined ? ` --pool=${pool}` : ''
        schedule(major, colKey, `${name}${poolArg} on Node ${major}`, Promise.all([node(major), project(name)]), async (n, p) => {
          const label = `${name}${poolArg} on Node ${n.version ?? major}`
          if (n.error !== undefined) return { label, ok: false, problems: [`no Node ${major}`], output: n.error }
          if (spec.minNode !== undefined && !atLeast(n.version, spec.minNode)) return undefined // not applicable: —
          if (p.error !== undefined) return { label, ...notInstalled(p) }
          const cell = await runRunner({ name, dir: p.dir }, n, pool, `node${major}${pool !== undefined ? `-${pool}` : ''}`)
          let problems
          if (spec.refuses !== undefined) {
            const refused = cell.result.code !== 0 && cell.result.output.includes(spec.refuses)
            problems = refused ? [] : [`expected the run to fail with "${spec.refuses}" (exit code ${cell.result.code}${cell.result.timedOut ? ', timed out' : ''})`]
            if (spec.summary !== undefined && !cell.result.output.includes(spec.summary)) problems.push(`expected the run summary to say "${spec.summary}"`)
          } else {
            problems = judge(spec.runner, cell)
          }
          return { label, ok: problems.length === 0, problems, output: cell.result.output, ms: cell.result.ms }
        })
      }
    }
  }
  await Promise.all(jobs)

  // Versions that ran.
  console.log('\nVersions:')
  for (const major of options.nodes) {
    const n = await node(major)
    console.log(`  Node ${major}: ${n.version !== undefined ? `${n.version} (${n.source})` : 'not installed'}`)
  }
  for (const name of options.only) {
    const p = await project(name)
    console.log(`  ${name}: ${p.versions !== undefined ? Object.entries(p.versions).map(([k, v]) => `${k}@${v}`).join(' ') : 'not installed'}`)
  }

  const nodeRows = []
  for (const major of options.nodes) {
    const n = await node(major)
    nodeRows.push({ key: major, label: `Node ${n.version ?? major}` })
  }
  const rows = [...nodeRows, ...(options.only.some((n) => PROJECTS[n].typecheck) ? [{ key: 'tsc', label: 'types (tsc)' }] : [])]
  console.log(`\n${table(columns, rows, cells)}\n`)
  console.log('✓ passed  ✗ failed  — not applicable. "(must refuse)": passes only when loopcop stops that too-old runner with its "needs … or later" error.')

  const failed = [...cells.values()].filter((c) => !c.ok)
  const shown = new Map()
  for (const c of failed) {
    const lines = (c.output ?? '').trimEnd().split('\n')
    const tail = lines.length > 80 ? ['[…]', ...lines.slice(-80)] : lines
    // A project that failed to install fails all its cells with the same npm output: shown once.
    const output = shown.has(c.output) ? `    (the same as for ${shown.get(c.output)})` : indent(tail.join('\n'))
    if (!shown.has(c.output)) shown.set(c.output, c.label)
    console.log(`\n✗ ${c.label}\n${c.problems.map((p) => `  - ${p.replace(/\n/g, '\n    ')}`).join('\n')}\n  output:\n${output}`)
  }
  console.log(`\nmatrix: ${cells.size} cells in ${seconds(Date.now() - started)}`)
  console.log(`matrix: ${cells.size - failed.length} passed, ${failed.length} failed`)
  process.exitCode = failed.length > 0 ? 1 : 0
}

await main()
