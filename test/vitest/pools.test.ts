// Under each pool (and without aroundEach), the tests that block fail with the operation and the
// TypeScript line; clean tests pass, also while running beside a blocking one (describe.concurrent).
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type FixtureRun, type Pool, app, appLine, cleanRuns, marked, names, outcome, runFixture } from './support.js'
import { missing, nodeBinary } from '../node-test/support.js'

afterAll(cleanRuns)

const files = ['test/blocking.test.ts', 'test/concurrent.test.ts']

/** `file:line:column` of a call marked in the fixture's src/app.ts, as Vitest reports it. */
function site(call: string): string {
  return `src/app.ts:${appLine(call)}:`
}

const setups: { readonly title: string; readonly pool: Pool; readonly env?: Record<string, string>; readonly args?: readonly string[] }[] = [
  { title: 'forks', pool: 'forks' },
  { title: 'threads', pool: 'threads' },
  { title: 'vmThreads (with the preload)', pool: 'vmThreads' },
  // As from a real install: loopcop loaded by Node from node_modules, not through Vite.
  { title: 'forks, loopcop loaded natively', pool: 'forks', env: { FIXTURE_EXTERNAL: '1' } },
  { title: 'vmThreads, loopcop loaded natively', pool: 'vmThreads', env: { FIXTURE_EXTERNAL: '1' } },
  // The path taken on Vitest versions without aroundEach (before 4.1).
  { title: 'forks, without aroundEach', pool: 'forks', env: { LOOPCOP_VITEST_AROUND_EACH: '0' } },
  // `isolate: false` (Vitest 5 suggests it in every run's output): one worker runs both files, its
  // setup files again for each, with loopcop loaded once.
  { title: 'forks, isolate: false', pool: 'forks', args: ['--no-isolate', '--maxWorkers=1'] },
  { title: 'threads, isolate: false', pool: 'threads', args: ['--no-isolate', '--maxWorkers=1'] },
  { title: 'forks, isolate: false, loopcop loaded natively', pool: 'forks', env: { FIXTURE_EXTERNAL: '1' }, args: ['--no-isolate', '--maxWorkers=1'] },
]

describe.each(setups)('pool: $title', ({ pool, env, args }) => {
  let run: FixtureRun
  beforeAll(async () => {
    run = await runFixture(files, { pool, ...(env !== undefined && { env }), ...(args !== undefined && { args }) })
  }, 240_000)

  test('the failing tests are exactly the blocking ones', () => {
    expect(names(run, 'failed')).toEqual(marked(run, 'blocks'))
    expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
    expect(run.tests.length).toBe(9)
    expect(run.result.code).toBe(1)
  })

  test('each failure names the operation and the file:line of the TypeScript source', () => {
    for (const t of run.tests.filter((x) => x.status === 'failed')) {
      const [operation, call] = t.name.includes('execSync') ? ['child_process.execSync', 'execSync'] : ['fs.readFileSync', 'readFileSync']
      expect(t.failure, t.name).toContain(`BlockingIOError: 1 blocking operation on the event loop during "${t.name}"`)
      expect(t.failure, t.name).toContain(operation)
      expect(t.failure, t.name).toContain(`${app}/${site(call)}`)
    }
  })

  test('the printed message lists the call with the relative file:line, and a code frame at it', () => {
    const out = run.result.output
    expect(out).toContain(`fs.readFileSync("${app}/config.json") blocked`)
    expect(out).toContain(`at loadConfigSync (${site('readFileSync')}`)
    expect(out).toContain(`at nodeVersion (${site('execSync')}`)
    // Vitest's code frame: the source line of src/app.ts, under a `❯ fn file:line:col` heading.
    expect(out).toContain(`❯ loadConfigSync ${site('readFileSync')}`)
    expect(out).toContain(`${appLine('readFileSync')}|   return JSON.parse(readFileSync(configPath`)
  })
})

// Without the preload loopcop loads in each test file's vm context, not in the worker's own realm,
// where the watchdog evaluates its probe: the probe is found through `process` (every stall went
// unjudged, "ended before the watchdog looked", before it was).
test.each<Pool>(['vmThreads', 'vmForks'])('%s without the preload says which line to add, and still judges stalls', async (pool) => {
  const run = await runFixture(['test/stall.test.ts'], { pool, report: true, env: { FIXTURE_PRELOAD: '0', FIXTURE_CONFIGURE: JSON.stringify({ stallMode: 'fail' }) } })
  expect(run.result.output).toContain("add `execArgv: ['--require', 'loopcop/vitest/preload']`")
  expect(run.result.output).toContain("the lines loopcop reports are those of Vite's transformed code")
  expect(names(run, 'failed')).toEqual(marked(run, 'blocks'))
  expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
  const stalls = (run.report?.findings ?? []).filter((f) => f.kind === 'stall')
  expect(stalls.map((f) => `${f.test?.name} | ${f.location?.file} | ${f.unjudged ?? 'judged'}`).sort()).toEqual(marked(run, 'blocks').map((name) => `${name} | src/stall.ts | judged`))
  expect(run.report?.summary.unjudgedStalls).toBe(0)
}, 240_000)

// Under a browser-like environment Vite binds a module's named imports of node:fs to their values
// when it is imported: loopcop's setup module's own, taken before it installs, are the originals,
// while every module imported after it gets the wrapped functions (unocss's jsdom project).
test('a jsdom environment in forks: no vm-pool warning, and a named import of node:fs is caught at its line', async () => {
  const run = await runFixture(['test/dom.test.ts'])
  expect(run.result.output).not.toContain('copied node:fs before loopcop/vitest ran')
  expect(run.tests.length).toBe(2)
  expect(names(run, 'failed')).toEqual(marked(run, 'blocks'))
  expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
  expect(outcome(run, '[blocks] reads its config through a named import of node:fs, under jsdom').failure).toContain(`${app}/src/dom.ts:${appLine('domReadFileSync', 'dom.ts')}:`)
}, 240_000)

test('graceful-fs loaded by a setup file listed before loopcop/vitest: the calls through its copy of fs are seen, with no warning', async () => {
  const run = await runFixture(['test/early-setup.test.ts'], { env: { FIXTURE_EARLY_SETUP: '1' } })
  expect(run.result.output).not.toContain('was loaded before loopcop/vitest')
  expect(names(run, 'failed')).toEqual(marked(run, 'blocks'))
  const failure = outcome(run, '[blocks] reads through the graceful-fs of a setup file listed before loopcop/vitest').failure
  expect(failure).toContain('fs.readFileSync')
  // The read the early setup file gave: through its graceful-fs, loaded before loopcop wrapped fs.
  expect(failure).toContain('early-setup.ts')
}, 240_000)

// zlib and crypto are loaded by no Vitest pool: loopcop wraps them when the code first asks for one
// (Node 22.15 and later: Node 24 here) or at start (Node 20, the vm pools' own `node:module`), and
// either way every call is caught, at its line.
const builtinRuns = (['forks', 'threads', 'vmThreads'] as const).flatMap((pool) => ([20, 24] as const).map((major) => ({ pool, major, node: nodeBinary(major) })))
describe.each(builtinRuns)('zlib and crypto under pool $pool, Node $major', ({ pool, major, node }) => {
  test('a copy taken at the top level, a dynamic import and a require() each fail their test at the line', async () => {
    if (node === undefined) throw new Error(missing(major))
    const run = await runFixture(['test/builtins.test.ts'], { pool, node })
    expect(names(run, 'failed')).toEqual(marked(run, 'blocks'))
    expect(run.tests.length).toBe(3)
    for (const [name, operation, call] of [
      ['[blocks] packs with gzipSync', 'zlib.gzipSync', 'gzipSync'],
      ['[blocks] derives a key with pbkdf2Sync', 'crypto.pbkdf2Sync', 'pbkdf2Sync'],
      ['[blocks] stretches a key with scryptSync', 'crypto.scryptSync', 'scryptSync'],
    ] as const) {
      const failure = run.tests.find((t) => t.name === name)?.failure
      expect(failure, name).toContain(`BlockingIOError: 1 blocking operation on the event loop during "${name}"`)
      expect(failure, name).toContain(operation)
      expect(failure, name).toContain(`${app}/src/codec.ts:${appLine(call, 'codec.ts')}:`)
    }
  }, 240_000)
})
