// loopcop never makes a Jest run greener than it would be without it: a configuration error stops
// the run, a report that cannot be written fails it, and a damaged spool line loses only itself.
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { runJest } from './support.js'

test('LOOPCOP_MODE=bogus stops the run before any test, naming the variable; exit code non-zero', async () => {
  const run = await runJest('failsafe', [], { env: { LOOPCOP_MODE: 'bogus' } }).catch((error: Error) => ({ error }))
  // Jest stops while it loads the reporters: no --json output at all.
  expect('error' in run && run.error.message).toContain('jest wrote no --json output (exit code 1)')
  expect('error' in run && run.error.message).toContain('LOOPCOP_MODE')
  expect('error' in run && run.error.message).not.toContain('core-bundle') // the sentence, without loopcop's frames
})

test('a JSON report path that cannot be written (a folder) fails a run whose tests pass: exit code 1, saying why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopcop-report-dir-'))
  const run = await runJest('failsafe', ['-t', 'a clean test'], { env: { REPORT_JSON: dir } })
  expect(run.json.numFailedTests).toBe(0)
  expect(run.output).toContain(`loopcop: could not write the JSON report to ${dir}`)
  expect(run.code).toBe(1)
})

// `--reporters` on the command line replaces the config's, loopcop's reporter with them: what only it
// makes (the JSON report, the baseline) was dropped without a word.
test('a JSON report and a baseline to write asked for without loopcop’s reporter fail every test file, saying how to add it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopcop-no-reporter-'))
  const env = { LOOPCOP_REPORT: join(dir, 'report.json'), LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: join(dir, 'baseline.json') }
  const run = await runJest('failsafe', ['--reporters=default'], { env })
  expect(run.code).toBe(1)
  expect(run.json.numRuntimeErrorTestSuites).toBe(1)
  expect(run.json.numPassedTests + run.json.numFailedTests).toBe(0)
  expect(run.json.testResults[0]?.message).toContain(`loopcop/jest: LOOPCOP_REPORT=${env.LOOPCOP_REPORT} asks for a JSON report; LOOPCOP_UPDATE_BASELINE=1 asks to write the baseline file, but the run report is made by loopcop's reporter, which this run does not load.`)
  expect(run.json.testResults[0]?.message).toContain('--reporters=default --reporters=loopcop/jest/reporter')
  // With the reporter, the same run writes both.
  const withReporter = await runJest('failsafe', ['-t', 'a clean test'], { env })
  expect(withReporter.code).toBe(0)
  expect(withReporter.report?.version).toBe(1)
  expect(withReporter.output).toContain(`loopcop: baseline written to ${env.LOOPCOP_BASELINE}`)
})

// An editor's runs (the Jest extension) replace the config's reporters: an option in the config
// asks for what they cannot give, and fails nothing there.
test('a JSON report asked for in testEnvironmentOptions.loopcop, in a run without loopcop’s reporter: the tests run, checked', async () => {
  const run = await runJest('failsafe', ['--reporters=default'], { env: { FIXTURE_REPORT: 'reports/from-options.json' } })
  expect(run.failed).toEqual(['a blocking test'])
  expect(run.passed.length).toBeGreaterThan(0)
  expect(run.output).not.toContain('which this run does not load')
})

// Runners run two tests of one name in one file as two tests; loopcop counted them as one.
test('two tests of one name in one file are two tests: in the summary, and told apart in the JSON report', async () => {
  const run = await runJest('failsafe', ['--testMatch', '**/twins/*.test.js'])
  expect(run.json.numFailedTests).toBe(2)
  expect(run.report?.summary.tests).toBe(2)
  expect(run.report?.findings.map((f) => f.test)).toEqual([
    { name: 'twins reads synchronously', file: 'twins/twins.test.js' },
    { name: 'twins reads synchronously', file: 'twins/twins.test.js', repeat: 2 },
  ])
  // Each test blocks at its own line: a call site each.
  expect(run.output).toContain('at 2 call sites in 2 tests')
  expect(run.output).toMatch(/: 1 call, [\d.]+ ms — 1 test: "twins reads synchronously" #2/)
})

// A run loopcop checked nothing of must not read as a clean bill ("no blocking … found").
test('a run outside loopcop’s environment says that no test file was checked, in place of an all clear', async () => {
  const run = await runJest('failsafe', [], { env: { FIXTURE_ENVIRONMENT: 'node' } })
  // Nothing checks the blocking test: it passes.
  expect(run.failed).toEqual([])
  expect(run.passed).toContain('a blocking test')
  expect(run.output).toContain("loopcop: no test file was checked: set testEnvironment to 'loopcop/jest/environment' (or to a file made with withLoopcop) in the Jest config, in each project's config with `projects`")
  expect(run.output).not.toContain('no blocking of the event loop found')
})

// A test script's `jest --env node` (cross-spawn's) replaces the config's environment: the config is right, the command is not.
test.each([['--env', 'node'], ['--testEnvironment=node']])('a run whose command line names another environment (%s) says so, not to set what the config has', async (...args) => {
  const run = await runJest('failsafe', args)
  expect(run.passed).toContain('a blocking test')
  expect(run.output).toContain(`loopcop: no test file was checked: ${args.join(' ').replace('=', ' ')} on the command line replaces the testEnvironment of the Jest config, so the tests ran outside loopcop's environment; drop it from the command`)
  expect(run.output).not.toContain('no test file was checked: set testEnvironment')
})

// jest-light-runner (prettier's) runs test files in plain Node: testEnvironment is set, and not used.
test('a run under a runner that does not use Jest’s test environment names the runner, not testEnvironment', async () => {
  const run = await runJest('failsafe', ['--runner', './light-runner.cjs'])
  expect(run.passed).toContain('a blocking test')
  expect(run.output).toMatch(/loopcop: no test file was checked: the tests ran under the runner light-runner\.cjs, which does not run them in Jest's test environment \(testEnvironment is not used\)/)
  expect(run.output).not.toContain('set testEnvironment to')
})

// prettier: under jest-light-runner, a run that checked nothing and was otherwise complete updated
// the baseline to no entries ("0 entries (0 added, 1 removed)"). It saw none of them: it keeps them.
test('a run that checked no test file keeps every baseline entry when asked to update it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopcop-unchecked-baseline-'))
  const env = { LOOPCOP_BASELINE: join(dir, 'baseline.json'), LOOPCOP_UPDATE_BASELINE: '1' }
  const checked = await runJest('failsafe', [], { env })
  expect(checked.output).toContain(`loopcop: baseline written to ${env.LOOPCOP_BASELINE}`)
  const before = readFileSync(env.LOOPCOP_BASELINE, 'utf8')
  const entries = (JSON.parse(before) as { entries: unknown[] }).entries
  expect(entries.length).toBeGreaterThan(0)
  for (const args of [['--runner', './light-runner.cjs'], ['--testEnvironment=node']]) {
    const run = await runJest('failsafe', args, { env })
    expect(run.output).toContain('loopcop: no test file was checked')
    expect(run.output).toContain(`(0 added, 0 removed); a partial run (loopcop checked no test file) keeps the entries it did not see`)
    expect((JSON.parse(readFileSync(env.LOOPCOP_BASELINE, 'utf8')) as { entries: unknown[] }).entries).toEqual(entries)
  }
})

// The real jest-light-runner imports setup and test files in plain Node, where `@jest/globals` throws:
// `loopcop/jest` did so at load, and every test file failed (prettier, 183 files, in warn mode too).
const OUTSIDE = "loopcop: nothing is checked: the test files run outside Jest's test environment"
test.each([
  ['jest-light-runner', '--runInBand'],
  ['jest-light-runner', '--maxWorkers=2'],
  ['jest-light-runner/child-process', '--maxWorkers=2'],
])('under %s (%s) the README set-up runs every test as without loopcop, says once a worker that nothing is checked, and the reporter names the runner', async (runner, flag) => {
  const run = await runJest('light', [flag], { env: { FIXTURE_RUNNER: runner } })
  expect(run.json.numRuntimeErrorTestSuites, run.output).toBe(0)
  expect(run.passed).toEqual(['a blocking test', 'a clean test', 'allows its fixture read', 'uses the matcher'])
  expect(run.failed).toEqual([])
  const warnings = run.output.split(OUTSIDE).length - 1
  expect(warnings).toBeGreaterThanOrEqual(1)
  expect(warnings).toBeLessThanOrEqual(flag === '--runInBand' ? 1 : 2)
  expect(run.output).not.toContain('per-test checking is off') // the advice for a missing environment does not apply
  expect(run.output).toContain("loopcop: no test file was checked: the tests ran under the runner jest-light-runner, which does not run them in Jest's test environment")
  expect(run.output).not.toContain('no blocking of the event loop found')
  expect(run.code).toBe(0)
})

test('under jest-light-runner a run whose every test file failed names the runner, not a compile error', async () => {
  const run = await runJest('light', ['--testMatch', '**/unloadable/*.test.js'])
  expect(run.json.numRuntimeErrorTestSuites).toBe(1)
  expect(run.output).toContain('loopcop: no test file was checked: the tests ran under the runner jest-light-runner')
  expect(run.output).not.toContain('every test file failed to run')
})

test('throw mode: a test that caught the refusal and failed another way also names the refused call; one the refusal failed names it once', async () => {
  const run = await runJest('failsafe', ['--testMatch', '**/caught/*.test.js'], { env: { FIXTURE_MODE: 'throw' } })
  expect(run.failed).toEqual(['catches the refusal and fails another way', 'lets the refusal fail it'])
  const caught = run.test('catches the refusal and fails another way').failureMessages.join('\n')
  expect(caught).toContain('Expected: 200')
  expect(caught).toContain('fs.statSync(')
  expect(caught).toContain('refused before it ran (mode: throw)')
  expect(run.test('lets the refusal fail it').failureMessages.join('\n').split('refused before it ran')).toHaveLength(2)
  // The refused calls never ran: the summary says nothing blocked, as a person writes it (not "0.000 ms").
  expect(run.output).toContain('loopcop: 2 blocking calls at 2 call sites in 2 tests, 0 ms blocked in total')
})

test('a run whose every test file failed to load says that none reported to loopcop, in place of an all clear', async () => {
  const run = await runJest('failsafe', ['--testMatch', '**/unloadable/*.test.js'])
  expect(run.json.numRuntimeErrorTestSuites).toBe(1)
  expect(run.json.testResults[0]?.message).toContain('this test file cannot load')
  expect(run.output).toContain('loopcop: no test file reported to loopcop: every test file failed to run (a compile or import error, a crashed worker?)')
  expect(run.output).not.toContain('no blocking of the event loop found')
})

// In band the environment tells the run this process records; in workers, through the spool.
test.each(['--runInBand', '--maxWorkers=2'])('a run loopcop checked and found nothing in is an all clear (%s)', async (flag) => {
  const run = await runJest('basic', [flag, '-t', 'reads users asynchronously'])
  expect(run.passed).toEqual(['reads users asynchronously'])
  expect(run.output).toContain('loopcop: no blocking of the event loop found')
  expect(run.output).not.toContain('no test file')
})

test('a damaged spool line is counted as lost; every other finding reaches the report', async () => {
  const run = await runJest('failsafe', ['--maxWorkers=2'], { env: { DAMAGE_SPOOL: '1' } })
  expect(run.failed).toEqual(['a blocking test'])
  // (The fixture damages the spool inside allowBlocking(fn): that call is reported as allowed.)
  expect(run.report?.findings.filter((f) => !f.allowed).map((f) => [f.test?.name, f.operation])).toEqual([['a blocking test', 'fs.readFileSync']])
  expect(run.report?.summary.lost).toBe(1)
  expect(run.output).toContain('loopcop: 1 finding sent by test workers could not be read back')
})

test("annotations follow the mode that judged the finding: testEnvironmentOptions.loopcop.mode 'warn' gives ::warning", async () => {
  const run = await runJest('failsafe', ['-t', 'a blocking test'], { env: { FIXTURE_MODE: 'warn', GITHUB_ACTIONS: 'true' } })
  expect(run.failed).toEqual([])
  const annotations = run.output.split('\n').filter((l) => l.startsWith('::'))
  expect(annotations).toHaveLength(1)
  expect(annotations[0]).toMatch(/^::warning file=tests\/run\.test\.js,line=\d+,col=\d+,title=loopcop%3A fs\.readFileSync::/)
  expect(run.report?.findings.map((f) => f.mode)).toEqual(['warn'])
})

// loopcop's warn-mode lines go through the test file's console, but never through a test's spy on it.
test('a test spying on console.warn sees none of loopcop’s lines, and a mock does not swallow them', async () => {
  const run = await runJest('console', [])
  expect(run.failed, run.output).toEqual([])
  expect(run.passed).toHaveLength(4)
  expect(run.output).toMatch(/loopcop \(warn\): new call site tests\/spy\.test\.js:\d+:\d+ fs\.readFileSync\(/)
  expect(run.output).toMatch(/loopcop \(warn\): new call site tests\/spy\.test\.js:\d+:\d+ fs\.statSync\(/)
})
