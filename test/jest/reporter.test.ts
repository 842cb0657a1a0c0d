import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { JsonReport } from '../../src/index.js'
import { storageRunFrames } from '../helpers/frames.js'
import { basicFindings } from './expected.js'
import { essentials, runJest } from './support.js'

// `reporters: ['default', ['loopcop/jest/reporter', { json }]]` on the `basic` fixture: the run
// report gathers the findings of every worker (child processes), none lost or counted twice.
describe('loopcop/jest/reporter', () => {
  test.each([1, 2])('the JSON report holds exactly the expected findings with --maxWorkers=%i', async (workers) => {
    const run = await runJest('basic', [`--maxWorkers=${workers}`])
    expect(essentials(run.report)).toEqual([...basicFindings].sort())
    expect(new Set(run.report?.findings.map((f) => f.id)).size).toBe(run.report?.findings.length)
    expect(run.report?.summary).toMatchObject({ findings: 21, tests: 14, calls: 23, allowed: 5 })
    // No frame of the scope each test runs in (Node's `AsyncLocalStorage.run`, called by loopcop).
    expect(storageRunFrames(run.report)).toEqual([])
  })

  test('the summary groups findings by call site; annotations and LOOPCOP_REPORT in CI', async () => {
    const json = join(mkdtempSync(join(tmpdir(), 'loopcop-jest-report-')), 'from-env.json')
    const run = await runJest('basic', ['--maxWorkers=2'], { env: { GITHUB_ACTIONS: 'true', LOOPCOP_REPORT: json } })
    // stdout stays Jest's (`jest --json` prints there): loopcop writes to stderr like Jest's reporters.
    expect(run.stdout).not.toContain('loopcop:')
    expect(run.stderr).toContain('loopcop: 23 blocking calls at 5 call sites in 14 tests')
    // The leaked call is at the same site: the site says some of its calls leaked.
    // Two of the site's calls were refused in the throw-mode file: they blocked nothing.
    expect(run.stderr).toMatch(/^ {2}fs\.readFileSync at src\/handlers\.js:9:24: 17 calls, 2 of them refused \(mode: throw\), [\d.]+ ms \(3 of them leaked past their test\) — 13 tests: /m)
    expect(run.stderr).toMatch(/^ {2}child_process\.execSync at src\/handlers\.js:13:10: 1 call, [\d.]+ ms — 1 test: "shells out"$/m)
    expect(run.stderr).toContain(`5 allowed findings not counted above (listed in the JSON report, ${json})`)
    expect(run.stderr).toMatch(/^::error file=src\/handlers\.js,line=9,col=24,title=loopcop%3A fs\.readFileSync::fs\.readFileSync\(/m)
    expect(run.stderr).toMatch(/^::error file=tests\/hooks\.test\.js,line=27,col=\d+,title=loopcop%3A fs\.statSync::/m)
    expect(run.stderr).toContain(`loopcop: JSON report written to ${json}`)
    // One blank line between loopcop's last line and Jest's summary (which pads only where no failure came last).
    expect(run.stderr).toContain(`loopcop: JSON report written to ${json}\n\nTest Suites: `)
    expect(run.stderr).not.toContain('\n\n\nTest Suites: ')
    expect(essentials(run.report)).toEqual([...basicFindings].sort())
  })

  test.each([[[]], [['--verbose']]])("one failing test file (%j): a blank line between loopcop's lines and Jest's summary, as Jest would leave after the failure (luxon)", async (args) => {
    const run = await runJest('basic', ['--maxWorkers=1', 'tests/handlers.test.js', ...args])
    expect(run.stderr).toMatch(/\nloopcop: JSON report written to [^\n]+\n\nTest Suites: 1 failed/)
  })

  test('warn, two test files in two workers reaching one call site: printed once a run with the reporter, once a worker without it', async () => {
    const files = ['tests/handlers.test.js', 'tests/warn.test.js']
    const siteLines = (output: string): string[] =>
      output
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => /^loopcop \(warn\): new call site src\/handlers\.js:9:24 fs\.readFileSync\(/.test(line))
    const env = { LOOPCOP_MODE: 'warn' }
    const [reported, alone] = await Promise.all([runJest('basic', [...files, '--maxWorkers=2'], { env }), runJest('basic', [...files, '--maxWorkers=2', '--reporters=default'], { env })])
    for (const run of [reported, alone]) expect(run.failed, run.output).toEqual([])
    // Without loopcop's reporter the workers share nothing: each says it once.
    expect(siteLines(alone.output)).toHaveLength(2)
    expect(siteLines(reported.output)).toHaveLength(1)
    // Every call is still in the run report, from both files.
    const reachedFrom = new Set(reported.report?.findings.filter((f) => f.location?.line === 9).map((f) => f.test?.file))
    expect([...reachedFrom].sort()).toEqual(files)
  })

  test('a run without blocking says so in one line', async () => {
    const run = await runJest('basic', ['--maxWorkers=1', 'tests/snapshot'])
    expect(run.failed).toEqual([])
    expect(run.stderr).toContain('loopcop: no blocking of the event loop found')
    expect(run.report?.findings).toEqual([])
  })

  test('the JSON report path may come from testEnvironmentOptions.loopcop.report', async () => {
    const json = join(mkdtempSync(join(tmpdir(), 'loopcop-jest-report-')), 'from-project.json')
    const options = { loopcop: { report: { json } } }
    const run = await runJest('basic', ['--maxWorkers=1', '--reporters=default', '--reporters=loopcop/jest/reporter', '--testEnvironmentOptions', JSON.stringify(options), 'tests/warn'])
    expect(run.failed).toEqual([])
    expect(run.stderr).toContain(`loopcop: JSON report written to ${json}`)
    expect(essentials(JSON.parse(readFileSync(json, 'utf8')) as JsonReport)).toEqual([
      'tests/warn.test.js | warn mode: blocking is printed, the test passes | fs.readFileSync | src/handlers.js:9 | blocking |  | ×1',
    ])
  })
})
