// What a change costs a kept call, a test and the suite, in instructions, in about a minute a build
// (bench/README.md, "Forty-eighth pass": a change on the finding path cost 5 % of a kept call, which
// only counting showed). Counts the Mocha projects `bench/runners.mjs` generates — `kept` (2,000
// calls from 100 sites; `kept-twice`, 4,000, with --projects), `tests` (3,000 empty tests) and
// `suite` — in `warn` mode, stall detection off, under valgrind with the steady Node flags (no full
// collection by chance; bench/lib/instructions.mjs), once with the build of `--base` (a git
// revision, built in a temporary worktree) and once with this checkout's `dist/`, alternating, each count after an
// uncounted native run of the same build (the core's code cache). Counts of one build repeat
// within ~0.1 M, so a difference of a few M is the change's.
//
// Usage: node bench/count-change.mjs --base=<revision> [--runs=2] [--projects=kept,tests,suite] [--nodes=24]
// Needs valgrind, `npm run build` first, and the projects of one `node bench/runners.mjs` run (any
// runners, they are all generated) in .cache/bench-runners. Leaves this checkout's build installed there.
// A benchmark, not a test: nothing is asserted.
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { root } from '../scripts/lib/pack.mjs'
import { flags, median } from '../scripts/lib/measure.mjs'
import { prepareNode } from '../scripts/lib/node-versions.mjs'
import { NO_VALGRIND, STEADY_NODE_FLAGS, counted, instructionsIn, valgrindAvailable, withCountedFlags } from './lib/instructions.mjs'

const USAGE = 'Usage: node bench/count-change.mjs --base=<revision> [--runs=2] [--projects=kept,tests,suite] [--nodes=24]'
const args = flags(['base', 'runs', 'projects', 'nodes'], USAGE)
const PROJECTS = ['kept', 'kept-twice', 'tests', 'suite', 'unkept', 'files', 'one']
const projects = String(args.projects ?? 'kept,tests,suite').split(',')
const runs = Number(args.runs ?? 2)
if (typeof args.base !== 'string' || !Number.isInteger(runs) || runs < 1 || projects.some((p) => !PROJECTS.includes(p))) {
  console.error(`--base is a git revision, --runs a whole number above 0, --projects some of ${PROJECTS.join(', ')}\n\n${USAGE}`)
  process.exit(2)
}
if (!valgrindAvailable()) throw new Error(NO_VALGRIND)
const cache = join(root, '.cache', 'bench-runners')
const installed = join(cache, 'node_modules', 'loopcop')
if (!existsSync(join(installed, 'package.json')) || !existsSync(join(cache, 'mocha', 'kept'))) throw new Error(`no generated Mocha projects in ${cache}: run \`node bench/runners.mjs --runs=1 --runners=mocha --nodes=24\` once first`)
const missing = projects.filter((project) => !existsSync(join(cache, 'mocha', project)))
if (missing.length > 0) throw new Error(`no project ${missing.join(', ')} in ${join(cache, 'mocha')} (made by an older bench/runners.mjs): run \`node bench/runners.mjs --runs=1 --runners=mocha --nodes=24\` once first`)
if (!existsSync(join(root, 'dist', 'esm', 'src', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first')

/** The base revision's `dist/`, built in a temporary worktree (this checkout's node_modules linked in). */
function buildBase(revision) {
  const dir = mkdtempSync(join(tmpdir(), 'loopcop-count-'))
  const tree = join(dir, 'tree')
  execFileSync('git', ['worktree', 'add', '--detach', '--quiet', tree, revision], { cwd: root, stdio: 'inherit' })
  try {
    symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'))
    execFileSync(process.execPath, [join(tree, 'scripts', 'build.mjs')], { cwd: tree, stdio: 'ignore' })
    cpSync(join(tree, 'dist'), join(dir, 'dist'), { recursive: true })
    return join(dir, 'dist')
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', tree], { cwd: root, stdio: 'inherit' })
  }
}

/** Puts a build's `dist/` in place of the installed package's (its manifest stays: the same files). */
function install(dist) {
  rmSync(join(installed, 'dist'), { recursive: true, force: true })
  cpSync(dist, join(installed, 'dist'), { recursive: true })
}

/** One run of a Mocha project with loopcop in `warn` mode, as bench/runners.mjs runs it: counted, or natively (`prime`). */
function run(node, project, prime) {
  const argv = [node, join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--require', 'loopcop/mocha', '--require', './loopcop.setup.cjs', '--timeout', '0', 'test/*.spec.cjs']
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', NO_COLOR: '1', LOOPCOP_BENCH: 'warn', LOOPCOP_STALL_MS: '0', NODE_PATH: join(cache, 'node_modules') }
  const [command, ...rest] = prime ? withCountedFlags(argv, STEADY_NODE_FLAGS) : counted(argv, STEADY_NODE_FLAGS)
  const r = spawnSync(command, rest, { cwd: join(cache, 'mocha', project), env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (prime) return NaN
  const n = instructionsIn(r.stderr)
  if (Number.isNaN(n)) throw new Error(`mocha ${project} under valgrind: exit code ${r.status}, no instruction count:\n${r.stderr.slice(-2000)}`)
  return n
}

const majors = String(args.nodes ?? '24').split(',').map(Number)
const base = buildBase(args.base)
const builds = [
  { name: String(args.base), dist: base },
  { name: 'this checkout', dist: join(root, 'dist') },
]
try {
  for (const major of majors) {
    const node = await prepareNode(major)
    if (node.error !== undefined) throw new Error(`Node ${major}: ${node.error}`)
    const counts = new Map()
    for (let i = 0; i < runs; i++) {
      for (const build of builds) {
        install(build.dist)
        for (const project of projects) {
          // Primed before every count: a count right after the other build's counts read ~50 M less
          // or more than one after its own native run (the core's code cache, written for the build last run).
          run(node.bin, project, true)
          const key = `${build.name}/${project}`
          counts.set(key, [...(counts.get(key) ?? []), run(node.bin, project, false)])
        }
      }
    }
    console.log(`\nMocha projects, loopcop \`warn\`, stall detection off, Node ${node.version}: instructions, median of ${runs} (all runs in brackets)\n`)
    console.log(`| project | ${builds.map((b) => b.name).join(' | ')} | difference |`)
    console.log(`|---|${builds.map(() => '---|').join('')}---|`)
    const M = (n) => `${(n / 1e6).toFixed(1)} M`
    for (const project of projects) {
      const [a, b] = builds.map((build) => counts.get(`${build.name}/${project}`))
      console.log(`| ${project} | ${M(median(a))} [${a.map(M).join(', ')}] | ${M(median(b))} [${b.map(M).join(', ')}] | ${median(b) - median(a) >= 0 ? '+' : ''}${M(median(b) - median(a))} |`)
    }
  }
} finally {
  install(join(root, 'dist'))
  rmSync(join(base, '..'), { recursive: true, force: true })
}
