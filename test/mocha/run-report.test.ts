import { beforeAll, describe, expect, test } from 'vitest'
import type { JsonReport } from '../../src/index.js'
import { type MochaRun, runMocha } from './support.js'

/** Every blocking call the suite fixture makes, as `test | operation | file:line`. */
const expected = [
  'allowBlocking still fails on blocking after the callback | child_process.execSync | src/app.js:13',
  'an ESM spec blocks through a named import | fs.readFileSync | test/esm.spec.mjs:10',
  'async tests blocks after an await | fs.readFileSync | src/app.js:9',
  'async tests blocks in a timer it awaits | child_process.execSync | src/app.js:13',
  'done-callback tests calls done after blocking in a timer | fs.readFileSync | src/app.js:9',
  'lazy require requires a module that reads its config when loaded | fs.readFileSync | src/lazy-config.js:6',
  'retries blocks on every attempt | fs.readFileSync | src/app.js:9',
  'retries blocks on every attempt | fs.readFileSync | src/app.js:9',
  'sync tests reads users with readFileSync | fs.readFileSync | src/app.js:9',
  'sync tests shells out with execSync | child_process.execSync | src/app.js:13',
  'with a blocking afterEach passes, its afterEach is reported in the run summary | child_process.execSync | src/app.js:13',
  'with a blocking beforeEach sees the users its hook loaded | fs.readFileSync | src/app.js:9',
]

function blockingOf(report: JsonReport | undefined): string[] {
  return (report?.findings ?? []).filter((f) => !f.allowed).map((f) => `${f.test?.name} | ${f.operation} | ${f.location?.file}:${f.location?.line}`).sort()
}

describe.each([
  { mode: 'serial', args: [] },
  { mode: '--parallel', args: ['--parallel', '--jobs', '3'] },
])('the run report, $mode', ({ mode, args }) => {
  let run: MochaRun
  beforeAll(async () => {
    run = await runMocha('suite', args, { name: `run-report-${mode.replace(/\W+/g, '')}`, env: { GITHUB_ACTIONS: 'true' } })
  })

  test('the JSON report holds every blocking call of every test exactly once', () => {
    expect(blockingOf(run.report)).toEqual(expected)
    const ids = run.report?.findings.map((f) => f.id) ?? []
    expect(new Set(ids).size).toBe(ids.length)
    // 2 allowed by rules, 6 by allowBlocking() / allowBlocking(fn).
    expect(run.report?.summary).toMatchObject({ findings: 12, tests: 11, calls: 12, allowed: 8 })
    expect(run.report?.findings.filter((f) => f.rule?.startsWith('allowBlocking') === true)).toHaveLength(6)
    expect(run.report?.findings.find((f) => !f.allowed)?.test?.file).toMatch(/^test\/\w+\.spec\.m?js$/)
  })

  test('the summary, grouped by call site, is printed once, on stderr (stdout stays the reporter’s)', () => {
    const headline = 'loopcop: 12 blocking calls at 4 call sites in 11 tests'
    expect(run.stderr.split(headline)).toHaveLength(2)
    expect(run.stdout).not.toContain('loopcop:')
    expect(run.stderr).toMatch(/fs\.readFileSync at src\/app\.js:9:\d+: 6 calls/)
    expect(run.stderr).toMatch(/child_process\.execSync at src\/app\.js:13:\d+: 4 calls/)
    expect(run.stderr).toContain('loopcop: JSON report written to reports/')
  })

  test('GitHub annotations, one per call site, at the blocking line', () => {
    const annotations = run.stderr.split('\n').filter((l) => l.startsWith('::error '))
    expect(annotations).toHaveLength(4)
    expect(annotations).toEqual(expect.arrayContaining([expect.stringMatching(/^::error file=src\/app\.js,line=9,col=\d+,title=loopcop%3A fs\.readFileSync::/)]))
  })

  if (mode === '--parallel') {
    test('the findings came from several worker processes', () => {
      const pids = new Set(run.report?.findings.map((f) => f.id.split('-')[0]))
      expect(pids.size).toBeGreaterThan(1)
    })
  }
})

describe('warn, --parallel', () => {
  test('a call site reached from several worker processes is printed once a run; every call is still in the report', async () => {
    const run = await runMocha('suite', ['--parallel', '--jobs', '3'], { name: 'warn-parallel', env: { LOOPCOP_MODE: 'warn' } })
    expect(run.failed).toEqual([])
    const printed = (line: number): string[] => run.stderr.split('\n').filter((l) => new RegExp(`^loopcop \\(warn\\): new call site src/app\\.js:${line}:\\d+ `).test(l))
    for (const line of [9, 13]) {
      const reached = (run.report?.findings ?? []).filter((f) => !f.allowed && f.location?.file === 'src/app.js' && f.location.line === line)
      // The site was reached in more than one worker process (a finding's id starts with its pid) …
      expect(new Set(reached.map((f) => f.id.split('-')[0])).size).toBeGreaterThan(1)
      // … and said once.
      expect(printed(line)).toHaveLength(1)
    }
  })
})

// Runners run two tests of one name in one file as two tests; loopcop counted them as one. A retry
// (a clone of its test) is still the test it retries.
test('two tests of one name in one file are two tests, the retried one too: in the summary, and told apart in the JSON report', async () => {
  const run = await runMocha('twins', [], { name: 'twins' })
  expect(run.failed).toEqual(['twins reads synchronously', 'twins reads synchronously'])
  expect(run.report?.summary.tests).toBe(2)
  // The second test's two tries are its own: repeat 2 both times.
  expect(run.report?.findings.map((f) => f.test?.repeat)).toEqual([undefined, 2, 2])
  // Each test blocks at its own line: a call site each.
  expect(run.stderr).toContain('3 blocking calls at 2 call sites in 2 tests')
  expect(run.stderr).toMatch(/: 2 calls, [\d.]+ ms — 1 test: "twins reads synchronously" #2/)
})
