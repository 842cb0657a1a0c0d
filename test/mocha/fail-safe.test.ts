// loopcop never makes a Mocha run greener than it would be without it: configuration errors stop
// the run, a report that cannot be written fails it, and a damaged spool or an early
// process.exit() loses only what it must. Mocha 10 and 11 exit 0 when a global teardown throws.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { JsonReport } from '../../src/index.js'
import { CODE_CACHE_FOLDER } from '../helpers/code-cache.js'
import { bins, fixtures, installed, runNode } from '../helpers/run.js'
import { mochaFixtures } from './support.js'

const cwd = join(mochaFixtures, 'failsafe')
const mochas = [
  { label: 'Mocha 12', bin: bins.mocha },
  { label: 'Mocha 11', bin: bins.mocha11 },
]

/**
 * `--require loopcop/mocha` resolves through NODE_PATH for `require()`, but when the require throws
 * (a configuration error), Mocha retries with `import()`, which ignores NODE_PATH and would hide the
 * error behind "Cannot find package 'loopcop'" — in a user's project both find the package. The
 * installed package's own file makes both attempts load the same module.
 */
const plugin = join(installed, 'dist', 'cjs', 'integrations', 'mocha', 'index.js')

function mocha(bin: string, args: readonly string[], env: Record<string, string>) {
  return runNode(bin, ['--require', plugin, '--reporter', 'dot', ...args, 'test/*.spec.js'], {
    cwd,
    // The spec files block themselves, standing for the code under test: counted (testCode 'check').
    env: { NODE_PATH: join(fixtures, 'node_modules'), LOOPCOP_STALL_MS: '0', LOOPCOP_TEST_CODE: 'check', ...env },
    timeoutMs: 180_000,
  })
}

describe.each(mochas)('$label', ({ bin }) => {
  test.each([
    { variable: 'LOOPCOP_MODE', value: 'bogus' },
    { variable: 'LOOPCOP_STALL_MS', value: 'abc' },
    { variable: 'LOOPCOP_STALL_MS', value: '-1' },
  ])('$variable=$value stops the run before any test, naming the variable, exit code non-zero', async ({ variable, value }) => {
    const run = await mocha(bin, [], { [variable]: value })
    expect(run.code).not.toBe(0)
    expect(run.output).toContain('loopcop/mocha cannot start')
    expect(run.output).toContain(variable)
    expect(run.output).not.toContain('passing')
    expect(run.output).not.toContain('a bug in loopcop')
    // The sentence alone: loopcop's frames reading process.env would tell the user nothing.
    expect(run.output).not.toContain('core-bundle')
    expect(run.output).not.toContain('[cause]')
  })

  test('a JSON report path that cannot be written (a folder) fails the run, saying why, after the tests ran', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopcop-report-dir-'))
    const run = await mocha(bin, [], { LOOPCOP_REPORT: dir })
    expect(run.output).toMatch(/3 passing/)
    expect(run.output).toContain(`loopcop: could not write the JSON report to ${dir}`)
    expect(run.code).not.toBe(0)
    // The failures still count: 2 failing tests (the assertion, the blocking one) → exit code 2 or more.
    expect(run.code).toBeGreaterThanOrEqual(2)
  })

  test('the same with only passing tests: exit code 1, not 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopcop-report-dir-'))
    const run = await mocha(bin, ['--grep', 'a clean test'], { LOOPCOP_REPORT: dir })
    expect(run.output).toMatch(/1 passing/)
    expect(run.code).toBe(1)
  })

  test('--exit: a report that cannot be written still fails the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopcop-report-dir-'))
    const run = await mocha(bin, ['--exit', '--grep', 'a clean test'], { LOOPCOP_REPORT: dir })
    expect(run.code).toBe(1)
  })

  test('a temporary folder that does not exist stops the run with loopcop saying what to change, exit code non-zero', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'loopcop-failsafe-')), 'not', 'there')
    const run = await mocha(bin, ['--grep', 'a clean test'], { TMPDIR: missing })
    expect(run.code).not.toBe(0)
    expect(run.output).toContain(`loopcop could not make the folder where test workers leave their findings for the run report, in the temporary folder ${missing}`)
    expect(run.output).toContain('Point TMPDIR')
  })

  test('--parallel: a damaged spool line is counted as lost; every other finding reaches the report; no spool folder is left', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'loopcop-failsafe-')), 'report.json')
    // A temporary folder of the run's own: other test files' runs open spools in the shared one meanwhile.
    const own = mkdtempSync(join(tmpdir(), 'failsafe-tmp-'))
    const run = await mocha(bin, ['--parallel', '--jobs', '2'], { LOOPCOP_REPORT: report, DAMAGE_SPOOL: '1', TMPDIR: own })
    expect(run.code).toBe(2)
    const json = JSON.parse(readFileSync(report, 'utf8')) as JsonReport
    // (The fixture damages the spool inside allowBlocking(fn): that call is reported as allowed.)
    expect(json.findings.filter((f) => !f.allowed).map((f) => [f.test?.name, f.operation])).toEqual([['fail-safe a blocking test', 'fs.readFileSync']])
    expect(json.summary.lost).toBe(1)
    expect(run.output).toContain('loopcop: 1 finding sent by test workers could not be read back')
    // (`loopcop-<uid>` is V8's code cache of the core, kept for the next run: src/runtime/code-cache.ts.)
    expect(readdirSync(own).filter((d) => d.startsWith('loopcop-') && d !== CODE_CACHE_FOLDER)).toEqual([])
  })

  test('process.exit() inside a test: the report holds what ran before it', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'loopcop-failsafe-')), 'report.json')
    const run = await mocha(bin, [], { LOOPCOP_REPORT: report, EXIT_EARLY: '1' })
    expect(run.output).toContain('loopcop: the process is exiting before the end of the run (process.exit() in a test?)')
    const json = JSON.parse(readFileSync(report, 'utf8')) as JsonReport
    expect(json.findings.map((f) => [f.test?.name, f.operation])).toEqual([['fail-safe a blocking test', 'fs.readFileSync']])
  })
})

// Under allow-uncaught Mocha rethrows a failing test's error from its uncaughtException handler, and
// the process ends without 'exit' (code 7): the run report was lost (winston's own config).
describe('allow-uncaught', () => {
  /** Mocha with `--allow-uncaught` on a fixture (loopcop/mocha in its .mocharc), and where its JSON report goes. */
  async function allowUncaught(env: Record<string, string> = {}, fixture = 'modes') {
    const report = join(mkdtempSync(join(tmpdir(), 'loopcop-allow-uncaught-')), 'report.json')
    const run = await runNode(bins.mocha, ['--allow-uncaught', '--reporter', 'dot'], {
      cwd: join(mochaFixtures, fixture),
      env: { NODE_PATH: join(fixtures, 'node_modules'), LOOPCOP_REPORT: report, LOOPCOP_STALL_MS: '0', LOOPCOP_TEST_CODE: 'check', ...env },
      timeoutMs: 180_000,
    })
    return { run, report: (): JsonReport => JSON.parse(readFileSync(report, 'utf8')) as JsonReport }
  }

  test('the first blocking test ends the process, and the run report is still written', async () => {
    const { run, report } = await allowUncaught()
    expect(run.code).not.toBe(0)
    expect(run.output).toContain("loopcop: the process is ending on an uncaught exception (Mocha's allow-uncaught)")
    expect(report().findings.map((f) => [f.test?.name, f.operation])).toEqual([['modes blocks', 'fs.readFileSync']])
  })

  test('a run with nothing failing: the report is written once, at the end', async () => {
    const { run, report } = await allowUncaught({ LOOPCOP_MODE: 'warn' })
    expect(run.code).toBe(0)
    expect(run.output).not.toContain('the process is ending')
    expect(run.output.split('loopcop: JSON report written to')).toHaveLength(2)
    expect(report().summary.findings).toBe(2)
  })

  // winston: its handler tests throw on purpose and catch it with a listener of their own. loopcop
  // took the exception for the end of the process, reported then, and never again (an empty report).
  test('an uncaught exception the code under test handles itself ends nothing: the report is written at the end, with what came after', async () => {
    const { run, report } = await allowUncaught({ LOOPCOP_MODE: 'warn' }, 'swallowed')
    expect(run.code, run.output).toBe(0)
    expect(run.output).not.toContain('the process is ending')
    expect(run.output.split('loopcop: JSON report written to')).toHaveLength(2)
    expect(report().findings.map((f) => [f.test?.name, f.operation])).toEqual([['swallowed blocks afterwards', 'fs.readFileSync']])
  })
})
