// loopcop/vitest/reporter: the run report holds every finding of every worker, each once.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import type { JsonReport } from '../../src/index.js'
import { storageRunFrames } from '../helpers/frames.js'
import { bins, runNode } from '../helpers/run.js'
import { type FixtureRun, type Pool, app, appLine, cleanRuns, marked, names, runFixture } from './support.js'
import { runners } from '../baseline/support.js'

afterAll(cleanRuns)

const files = ['test/blocking.test.ts', 'test/concurrent.test.ts', 'test/leak.test.ts', 'test/allow.test.ts']

/** What the four fixture files block on: one finding per blocking test, the leak, and the allowed existsSync calls. */
const expected = [
  { test: '[blocks] reads its config synchronously', operation: 'fs.readFileSync' },
  { test: '[blocks] shells out with execSync', operation: 'child_process.execSync' },
  { test: '[blocks] blocks in a timer it started', operation: 'fs.readFileSync' },
  { test: '[blocks] blocks in a promise continuation', operation: 'fs.readFileSync' },
  { test: 'hooks > beforeEach > [blocks] fails when its beforeEach blocks', operation: 'fs.readFileSync' },
  { test: 'hooks > afterEach > [blocks] fails when its afterEach blocks', operation: 'fs.readFileSync' },
  { test: 'running together > [blocks] blocks while the other test waits', operation: 'fs.readFileSync' },
  { test: '[clean] starts a timer that blocks after the test ended', operation: 'fs.readFileSync', leak: true },
  { test: '[blocks] allowBlocking(fn) does not allow what follows it', operation: 'fs.statSync' },
  { test: '[blocks] configure({ allow }) does not allow other operations', operation: 'fs.statSync' },
  { test: '[blocks] configure({ allow }) does not allow other operations', operation: 'fs.existsSync', allowed: true },
  { test: '[clean] configure({ allow }) allows the operation it names', operation: 'fs.existsSync', allowed: true },
].map((f) => ({ leak: false, allowed: false, ...f }))

function byKey(a: { test: string; operation: string }, b: { test: string; operation: string }): number {
  return `${a.test}|${a.operation}`.localeCompare(`${b.test}|${b.operation}`)
}

/** What allowBlocking() / allowBlocking(fn) allowed: in the report with the rule, checked apart. */
const byAllowBlocking = (f: { rule?: string }): boolean => f.rule?.startsWith('allowBlocking') === true

function findings(report: JsonReport | undefined): typeof expected {
  return (report?.findings ?? []).filter((f) => !byAllowBlocking(f)).map((f) => ({ test: f.test?.name ?? '', operation: f.operation ?? f.kind, leak: f.leak, allowed: f.allowed })).sort(byKey)
}

const runs: { readonly title: string; readonly pool: Pool; readonly args: readonly string[] }[] = [
  { title: '1 worker', pool: 'forks', args: ['--maxWorkers=1', '--no-file-parallelism'] },
  { title: '2 workers (forks)', pool: 'forks', args: ['--maxWorkers=2'] },
  { title: '2 workers (threads)', pool: 'threads', args: ['--maxWorkers=2'] },
]

describe.each(runs)('with $title', ({ pool, args }) => {
  let run: FixtureRun

  test('the JSON report holds exactly the expected findings', async () => {
    run = await runFixture(files, { pool, args, report: true, env: { GITHUB_ACTIONS: 'true' } })
    expect(findings(run.report)).toEqual([...expected].sort(byKey))
    expect(run.report?.summary).toMatchObject({ findings: 10, calls: 10, allowed: 8, tests: 10 })
    const allowedInTests = (run.report?.findings ?? []).filter(byAllowBlocking)
    expect(allowedInTests).toHaveLength(6)
    expect(allowedInTests.every((f) => f.allowed && /allowBlocking/.test(f.test?.name ?? ''))).toBe(true)
    expect(new Set(run.report?.findings.map((f) => f.id)).size).toBe(expected.length + 6)
    // Paths relative to the project, lines of the TypeScript source.
    const read = run.report?.findings.find((f) => f.operation === 'fs.readFileSync' && !f.allowed)
    expect(read?.location).toEqual({ file: 'src/app.ts', line: appLine('readFileSync'), column: 21, function: 'loadConfigSync' })
    expect(read?.test?.file).toMatch(/^test\/(blocking|concurrent|leak)\.test\.ts$/)
    // No frame of the scope each test runs in (Node's `AsyncLocalStorage.run`, called by loopcop).
    expect(storageRunFrames(run.report)).toEqual([])
  }, 240_000)

  test('the summary groups the findings by call site', () => {
    const out = run.result.output
    expect(out).toContain('loopcop: 10 blocking calls at 3 call sites in 10 tests')
    expect(out).toMatch(new RegExp(`fs\\.readFileSync at src/app\\.ts:${appLine('readFileSync')}:21: 7 calls`))
    expect(out).toMatch(new RegExp(`fs\\.statSync at src/app\\.ts:${appLine('statSync')}:10: 2 calls`))
    expect(out).toMatch(new RegExp(`child_process\\.execSync at src/app\\.ts:${appLine('execSync')}:10: 1 call,`))
    expect(out).toContain('8 allowed findings not counted above')
  })

  test('GitHub annotations are printed at the blocking lines', () => {
    expect(run.result.output).toContain(`::error file=src/app.ts,line=${appLine('readFileSync')},col=21,title=loopcop%3A fs.readFileSync::`)
    expect(run.result.output).toContain(`::error file=src/app.ts,line=${appLine('execSync')},col=10,title=loopcop%3A child_process.execSync::`)
  })
})

test("the JSON report goes where a setup file's configure({ report }) says", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopcop-vitest-configure-'))
  try {
    const path = join(dir, 'from-configure.json')
    const run = await runFixture(['test/blocking.test.ts'], { args: ['--reporter=loopcop/vitest/reporter'], env: { FIXTURE_CONFIGURE: JSON.stringify({ report: { json: path } }) } })
    expect(run.result.output).toContain(`loopcop: JSON report written to ${path}`)
    const report = JSON.parse(readFileSync(path, 'utf8')) as JsonReport
    expect(report.summary).toMatchObject({ findings: 6, calls: 6, tests: 6 })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}, 240_000)

// The README's CI set-up keeps Vitest's own github-actions reporter next to loopcop's.
describe("next to Vitest's github-actions reporter, in a monorepo package (GITHUB_WORKSPACE above the Vitest root)", () => {
  const workspace = join(app, '..', '..', '..', '..')
  const env = { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: workspace }
  const args = ['--reporter=github-actions', '--reporter=loopcop/vitest/reporter']
  const annotations = (run: FixtureRun): string[] => run.result.output.split('\n').filter((l) => /^::(error|warning)/.test(l))

  test('a blocking call that fails its test is annotated once, by Vitest, at the blocking line', async () => {
    const run = await runFixture(['test/blocking.test.ts'], { args, env })
    const failed = run.tests.filter((t) => t.status === 'failed')
    expect(failed.length).toBeGreaterThan(0)
    const lines = annotations(run)
    expect(lines.filter((l) => l.includes('title=loopcop'))).toEqual([])
    expect(lines).toHaveLength(failed.length)
    for (const t of failed) expect(lines.some((l) => l.includes(`title=test/blocking.test.ts > ${t.name},`)), t.name).toBe(true)
    expect(lines.filter((l) => l.includes(`src/app.ts,`) && l.includes(`line=${appLine('readFileSync')},`))).toHaveLength(failed.filter((t) => !t.name.includes('execSync')).length)
  }, 240_000)

  test("what fails no test (warn mode) is annotated by loopcop, with the path relative to GITHUB_WORKSPACE", async () => {
    const run = await runFixture(['test/blocking.test.ts'], { args, env: { ...env, LOOPCOP_MODE: 'warn' } })
    expect(run.tests.filter((t) => t.status === 'failed')).toEqual([])
    const lines = annotations(run)
    expect(lines).toContain(`::warning file=test/fixtures/vitest/app/src/app.ts,line=${appLine('readFileSync')},col=21,title=loopcop%3A fs.readFileSync::${lines.find((l) => l.includes('title=loopcop%3A fs.readFileSync'))?.split('::')[2] ?? ''}`)
    expect(lines.filter((l) => l.includes('title=loopcop'))).toHaveLength(2)
    expect(lines.every((l) => l.startsWith('::warning file=test/fixtures/vitest/app/src/app.ts,'))).toBe(true)
  }, 240_000)

  test("a blocking call in a test that fails on its own assertion (warn mode) is annotated by loopcop: Vitest's annotation is the assertion's", async () => {
    const run = await runFixture(['test/fails-too.test.ts'], { args, env: { ...env, LOOPCOP_MODE: 'warn' } })
    expect(run.tests.map((t) => t.status)).toEqual(['failed'])
    const lines = annotations(run)
    expect(lines.filter((l) => l.startsWith('::error ') && !l.includes('title=loopcop'))).toHaveLength(1)
    expect(lines.filter((l) => l.includes('title=loopcop%3A fs.readFileSync'))).toEqual([expect.stringMatching(new RegExp(`^::warning file=test/fixtures/vitest/app/src/app\\.ts,line=${appLine('readFileSync')},`))])
  }, 240_000)
})

test("annotation levels follow the setting that judged each finding: a failing blocking call is an error, a stall in a passing test (stallMode 'warn') a warning", async () => {
  const run = await runFixture(['test/blocking.test.ts', 'test/stall.test.ts'], { report: true, env: { GITHUB_ACTIONS: 'true' } })
  const annotations = run.result.output.split('\n').filter((l) => l.startsWith('::'))
  const reads = annotations.filter((l) => l.includes('title=loopcop%3A fs.readFileSync'))
  const stalls = annotations.filter((l) => l.includes('title=loopcop%3A event loop stall'))
  expect(reads.length).toBeGreaterThan(0)
  expect(stalls.length).toBeGreaterThan(0)
  for (const l of reads) expect(l).toMatch(/^::error /)
  for (const l of stalls) expect(l).toMatch(/^::warning /)
  expect(new Set(run.report?.findings.filter((f) => f.kind === 'stall').map((f) => f.mode))).toEqual(new Set(['warn']))
}, 240_000)

test("loopcop's output goes to stderr: with Vitest's json reporter on stdout, stdout stays valid JSON", async () => {
  const run = await runNode(bins.vitest, ['run', '--pool=forks', '--reporter=json', '--reporter=loopcop/vitest/reporter', 'test/blocking.test.ts'], { cwd: app, env: { GITHUB_ACTIONS: 'true' }, timeoutMs: 240_000 })
  const parsed = JSON.parse(run.stdout) as { numFailedTests: number }
  expect(parsed.numFailedTests).toBeGreaterThan(0)
  expect(run.stderr).toContain('loopcop: ')
  expect(run.stderr).toMatch(/^::error /m)
}, 240_000)

// Runners run two tests of one name in one file as two tests; loopcop counted them as one.
test('two tests of one name in one file are two tests: in the summary, and told apart in the JSON report', async () => {
  const run = await runFixture(['test/same-name.test.ts'], { report: true })
  const name = 'twins > [blocks] reads its config synchronously'
  expect(run.tests.filter((t) => t.name === name).map((t) => t.status)).toEqual(['failed', 'failed'])
  expect(run.report?.summary.tests).toBe(2)
  expect(run.report?.findings.map((f) => f.test)).toEqual([
    { name, file: 'test/same-name.test.ts' },
    { name, file: 'test/same-name.test.ts', repeat: 2 },
  ])
  expect(run.result.output).toContain(`2 calls, `)
  expect(run.result.output).toContain(`— 2 tests: ${JSON.stringify(name)}, ${JSON.stringify(name)} #2`)
}, 240_000)

test('a run without loopcop/vitest in setupFiles says that no test file was checked, in place of an all clear', async () => {
  const run = await runFixture(['test/broken.test.ts'], { report: true, env: { FIXTURE_NO_SETUP: '1' } })
  expect(run.result.code, run.result.output).toBe(0)
  expect(run.result.output).toContain("loopcop: no test file was checked: add 'loopcop/vitest' to `setupFiles` in the Vitest config")
  expect(run.result.output).not.toContain('no blocking of the event loop found')
}, 240_000)

// faker's trial: a file that ran every test, one of them failing on its own assertion, made a run
// without loopcop/vitest in setupFiles say "every test file failed before its end".
test('a run without loopcop/vitest in setupFiles says so when a test failed on its own, not that the file failed before its end', async () => {
  const run = await runFixture(['test/one-fails.test.ts'], { report: true, env: { FIXTURE_NO_SETUP: '1' } })
  expect(run.tests.map((t) => [t.name, t.status]), run.result.output).toEqual([
    ['[clean] passes', 'passed'],
    ['[clean] fails on its own assertion', 'failed'],
  ])
  expect(run.result.output).toContain("loopcop: no test file was checked: add 'loopcop/vitest' to `setupFiles` in the Vitest config")
  expect(run.result.output).not.toContain('failed before its end')
}, 240_000)

test('a run without loopcop/vitest in setupFiles still writes the JSON report test.provide.loopcop names, saying no test file was checked (hono)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopcop-provided-report-'))
  const path = join(dir, 'report.json')
  const run = await runFixture(['test/broken.test.ts'], { args: ['--reporter=loopcop/vitest/reporter'], env: { FIXTURE_NO_SETUP: '1', FIXTURE_PROVIDE: JSON.stringify({ report: { json: path } }) } })
  expect(run.result.code, run.result.output).toBe(0)
  expect(run.result.output).toContain("loopcop: no test file was checked: add 'loopcop/vitest' to `setupFiles` in the Vitest config")
  const report = JSON.parse(readFileSync(path, 'utf8')) as { findings: unknown[] }
  expect(report.findings).toEqual([])
  expect(JSON.stringify(report)).toContain('no test file was checked')
}, 240_000)

test('a project whose config does not take the root config\'s setupFiles is named: its test files ran unchecked (unocss)', async () => {
  const vitest = runners(mkdtempSync(join(tmpdir(), 'loopcop-projects-'))).find((r) => r.name === 'vitest')
  const run = await vitest?.run({ LOOPCOP_MODE: 'warn', FIXTURE_NEW: '1', FIXTURE_CONFIG_ALONE: '1' }, ['--config', 'vitest.projects.config.mjs'])
  expect(run?.code, run?.output).toBe(0)
  expect(run?.output).toContain("loopcop: 1 test file of project \"config\" ran without loopcop: a project's config does not take the root config's `setupFiles` — add 'loopcop/vitest' to its `setupFiles` (or `extends: true` to its entry in `test.projects`)")
  // The project that has it was checked: its call is in the report, the other project's is not.
  expect(run?.report?.findings.filter((f) => !f.allowed).map((f) => f.operation)).toEqual(['fs.statSync'])
  // Only that project run (`--project config`): the advice is still about its config, not the root's, which has loopcop (hono).
  const alone = await vitest?.run({ LOOPCOP_MODE: 'warn', FIXTURE_NEW: '1', FIXTURE_CONFIG_ALONE: '1' }, ['--config', 'vitest.projects.config.mjs', '--project', 'config'])
  expect(alone?.output).toContain("loopcop: no test file was checked: 1 test file of project \"config\" ran without loopcop: a project's config does not take the root config's `setupFiles` — add 'loopcop/vitest' to its `setupFiles` (or `extends: true` to its entry in `test.projects`)")
  expect(alone?.output).not.toContain('in the Vitest config (the reporter only collects what it finds)')
  const both = await vitest?.run({ LOOPCOP_MODE: 'warn', FIXTURE_NEW: '1' }, ['--config', 'vitest.projects.config.mjs'])
  expect(both?.output).not.toContain('ran without loopcop')
  expect(both?.report?.findings.filter((f) => !f.allowed).map((f) => f.operation).sort()).toEqual(['fs.existsSync', 'fs.readFileSync', 'fs.statSync'])
}, 240_000)

test('a project that is a folder a test.projects glob matched, with no config file, is named with advice that fits it (zod)', async () => {
  const vitest = runners(mkdtempSync(join(tmpdir(), 'loopcop-projects-'))).find((r) => r.name === 'vitest')
  const run = await vitest?.run({ LOOPCOP_MODE: 'warn', FIXTURE_NEW: '1', FIXTURE_CONFIG_ALONE: '1', FIXTURE_GLOB: '1' }, ['--config', 'vitest.projects.config.mjs'])
  expect(run?.code, run?.output).toBe(0)
  const lines = (run?.output ?? '').split('\n').filter((line) => line.includes('ran without loopcop'))
  expect(lines).toEqual([
    "loopcop: 1 test file of project \"config\" ran without loopcop: a project's config does not take the root config's `setupFiles` — add 'loopcop/vitest' to its `setupFiles` (or `extends: true` to its entry in `test.projects`)",
    "loopcop: 1 test file of project \"solo\" ran without loopcop: it has no config file of its own (a folder a `test.projects` glob matched), so Vitest runs it with its defaults, not the root config's `setupFiles` — give it a `vitest.config` with `setupFiles: ['loopcop/vitest']`, or list it in `test.projects` as `{ extends: true, test: { name, root } }`",
  ])
}, 240_000)

// zustand on Node 20: its jsdom 30 needs Node 22, every worker failed to start, no test file ran
// ("Test Files no tests", 13 errors), and the run ended "no blocking of the event loop found".
test("a run in which every worker fails to start says that no test file reported, not that nothing blocked", async () => {
  const run = await runFixture(['test/blocking.test.ts'], { report: true, env: { FIXTURE_CRASH_WORKER: '1' } })
  expect(run.result.code).not.toBe(0)
  expect(run.result.output).toContain('loopcop: no test file reported to loopcop: no test file ran, and the run had an error')
  expect(run.result.output).not.toContain('no blocking of the event loop found')
  expect(run.report?.summary.unchecked).toMatch(/^no test file reported to loopcop: no test file ran/)
}, 240_000)

test("a run whose only test file fails to load says so, not that loopcop is missing from setupFiles", async () => {
  const run = await runFixture(['test/broken.test.ts'], { report: true, env: { FIXTURE_BROKEN: '1' } })
  expect(run.result.code).not.toBe(0)
  expect(run.result.output).toContain('loopcop: no test file reported to loopcop: every test file failed before its end')
  expect(run.result.output).not.toContain("add 'loopcop/vitest' to `setupFiles`")
  // Said in place of an all clear: nothing was checked.
  expect(run.result.output).not.toContain('no blocking of the event loop found')
  const loaded = await runFixture(['test/broken.test.ts'], { report: true })
  expect(loaded.result.code, loaded.result.output).toBe(0)
  expect(loaded.result.output).not.toContain('no test file')
  // A -t that matches no test: every test skipped, nothing checked, and loopcop/vitest is set up.
  const none = await runFixture(['test/broken.test.ts'], { report: true, args: ['-t', 'no test is named this'] })
  expect(none.result.output).toMatch(/skipped/)
  expect(none.result.output).not.toContain('no test file')
}, 240_000)

// `--reporter` on the command line replaces the config's reporters, loopcop's with them: what only
// it makes (the JSON report, the baseline) was dropped without a word.
describe("a JSON report or a baseline asked for without loopcop's reporter", () => {
  test('fails every test file before its tests, saying what asked and how to add the reporter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopcop-vitest-no-reporter-'))
    try {
      const env = { LOOPCOP_MODE: 'warn', LOOPCOP_REPORT: join(dir, 'report.json'), LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: join(dir, 'baseline.json') }
      const run = await runFixture(['test/blocking.test.ts', 'test/concurrent.test.ts'], { env })
      expect(run.result.code).toBe(1)
      expect(run.tests.filter((t) => t.status === 'passed' || t.status === 'failed')).toEqual([])
      expect(run.fileFailures.map((f) => f.file).sort()).toEqual(['test/blocking.test.ts', 'test/concurrent.test.ts'])
      expect(run.result.output).toContain(`loopcop/vitest: LOOPCOP_REPORT=${env.LOOPCOP_REPORT} asks for a JSON report; LOOPCOP_UPDATE_BASELINE=1 asks to write the baseline file, but the run report is made by loopcop's reporter, which this run does not load.`)
      expect(run.result.output).toContain('`--reporter=default --reporter=loopcop/vitest/reporter`')
      // With the reporter, the same run writes both, and the tests run.
      const withReporter = await runFixture(['test/blocking.test.ts'], { env, args: ['--reporter=loopcop/vitest/reporter'] })
      expect(withReporter.result.code).toBe(0)
      expect(withReporter.tests.filter((t) => t.status === 'passed')).toHaveLength(7)
      expect(withReporter.result.output).toContain(`loopcop: JSON report written to ${env.LOOPCOP_REPORT}`)
      expect(withReporter.result.output).toContain(`loopcop: baseline written to ${env.LOOPCOP_BASELINE}`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 240_000)

  // An editor's runs (the Vitest extension) replace the config's reporters: an option in the config
  // asks for what they cannot give, and fails nothing there.
  test("an option in the config (a setup file's configure({ report })) fails nothing: the tests run, checked", async () => {
    const run = await runFixture(['test/blocking.test.ts'], { env: { FIXTURE_CONFIGURE: JSON.stringify({ report: { json: 'reports/from-configure.json' } }) } })
    expect(names(run, 'failed')).toEqual(marked(run, 'blocks'))
    expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
    expect(run.result.output).not.toContain('which this run does not load')
  }, 240_000)
})
