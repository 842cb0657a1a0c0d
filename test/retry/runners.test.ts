// Retried tests in Vitest (`retry`), Jest (`jest.retryTimes`) and Mocha (`retries`), end to end: a
// test whose first try fails on a blocking call and whose retry passes failed nothing — its finding
// is in the report as judged in warn mode and annotated as a warning, in a green run — while a test
// that blocks on every try fails, with every try's finding in the report (none held back and lost).
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { JsonReport } from '../../src/index.js'
import { assertInstalled, bins, fixtures, runNode } from '../helpers/run.js'

const project = join(fixtures, 'retry')
const dir = mkdtempSync(join(tmpdir(), 'loopcop-retry-'))

const runners = [
  ['vitest', bins.vitest, ['run']],
  ['jest', bins.jest, ['--ci', '--cacheDirectory', join(dir, 'jest-cache')]],
  ['mocha', bins.mocha, []],
  ['mocha --parallel', bins.mocha, ['--parallel']],
] as const

describe.each(runners)('%s', (name, bin, args) => {
  test('a blocking call in a try the runner retried, when the retry passed, failed nothing; one in every try fails its test, each try reported', async () => {
    assertInstalled()
    const reportPath = join(dir, `${name.replace(' --', '-')}.json`)
    const run = await runNode(bin, args, { cwd: project, env: { NODE_PATH: join(fixtures, 'node_modules'), LOOPCOP_STALL_MS: '0', LOOPCOP_REPORT: reportPath, GITHUB_ACTIONS: 'true' }, timeoutMs: 180_000 })
    // 'blocks on every try' fails: the run does.
    expect(run.code, run.output).not.toBe(0)
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as JsonReport
    const byTest = (title: string) => report.findings.filter((f) => f.test?.name.endsWith(title))
    expect(byTest('passes on retry').map((f) => [f.operation, f.mode, f.calls])).toEqual([['fs.readdirSync', 'warn', 1]])
    expect(byTest('blocks on every try').map((f) => [f.operation, f.mode, f.calls])).toEqual([
      ['fs.statSync', 'fail', 1],
      ['fs.statSync', 'fail', 1],
    ])
    // Two tests of one name are two tests: the first's failure is not taken for a retry the second passed.
    expect(byTest('has a twin').map((f) => [f.operation, f.mode, f.calls])).toEqual([
      ['fs.statSync', 'fail', 1],
      ['fs.statSync', 'fail', 1],
    ])
    const annotations = run.output.split('\n').filter((l) => l.startsWith('::'))
    expect(annotations.filter((l) => l.includes('fs.readdirSync')).map((l) => l.slice(0, l.indexOf(' ')))).toEqual(['::warning'])
    expect(annotations.some((l) => l.startsWith('::error') && l.includes('fs.statSync'))).toBe(true)
  }, 240_000)
})

test('Jest without retries: a failed test’s findings are in the report even when its worker dies later in the file (nothing is held)', async () => {
  assertInstalled()
  const reportPath = join(dir, 'jest-exit.json')
  // A fresh cache: with timings from earlier runs Jest runs two fast files in its own process, which process.exit() ends.
  const run = await runNode(bins.jest, ['--ci', '--cacheDirectory', join(dir, 'jest-cache-exit'), '--maxWorkers=2', 'jest/exit.test.js', 'jest/retry.test.js'], {
    cwd: project,
    env: { NODE_PATH: join(fixtures, 'node_modules'), LOOPCOP_STALL_MS: '0', LOOPCOP_REPORT: reportPath, FIXTURE_EXIT: '1' },
    timeoutMs: 180_000,
  })
  expect(run.code, run.output).not.toBe(0)
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as JsonReport
  expect(report.findings.filter((f) => f.test?.name.endsWith('blocks before the worker dies')).map((f) => [f.operation, f.mode])).toContainEqual(['fs.statSync', 'fail'])
}, 240_000)
