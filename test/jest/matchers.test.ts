import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { type JestRun, runJest } from './support.js'

// The `matchers` fixture: three Jest projects, one with `loopcop/jest` on loopcop's environment, one
// with `loopcop/jest/matchers` on Jest's own `node` environment (matchers only), and one with
// `loopcop/jest` on the `node` environment (a forgotten environment, which loopcop points out).
describe('expect(fn).toBlockEventLoop() for Jest', () => {
  let run: JestRun
  const reportFile = join(mkdtempSync(join(tmpdir(), 'loopcop-jest-matchers-')), 'report.json')
  beforeAll(async () => {
    run = await runJest('matchers', ['--maxWorkers=2', '--reporters=default', '--reporters=loopcop/jest/reporter'], { env: { LOOPCOP_REPORT: reportFile } })
  })

  test('what the matchers found is in the run report, marked as theirs, never counted as the tests’', () => {
    const asserted = (run.report?.findings ?? []).filter((f) => f.scope === 'assertion' && !f.allowed)
    expect(asserted.map((f) => f.test?.name)).toContain('matcher: failing assertion')
    expect(asserted.every((f) => f.operation === 'fs.readFileSync')).toBe(true)
    // The one blocking call outside a matcher is the only one that fails a test.
    expect(run.report?.findings.filter((f) => !f.allowed && f.scope === undefined).map((f) => f.operation)).toEqual(['fs.statSync'])
    expect(run.report?.summary).toMatchObject({ findings: 1, assertions: asserted.length })
    expect(run.stderr).toContain('found by assertions (toBlockEventLoop, assertNoBlocking, blockEventLoop, doesNotBlock)')
  })

  test('exactly the deliberately failing assertions fail', () => {
    expect(run.json.numRuntimeErrorTestSuites).toBe(0)
    expect(run.failed).toEqual([
      'globals matcher: failing assertion',
      'matcher: a blocking call outside the matcher still fails the test',
      'matcher: failing assertion',
      'plain env: the matcher fails with its message',
    ])
  })

  test.each(['matcher', 'globals matcher'])('%s: sync and async functions, with and without .not, options, messages', (flavour) => {
    for (const name of ['sync fn, with .not', 'async fn, with .not', 'options', 'messages']) {
      expect(run.test(`${flavour}: ${name}`).status).toBe('passed')
    }
  })

  test.each(['matcher', 'globals matcher'])('%s: a failure looks native and lists each blocking call with its line', (flavour) => {
    const [message] = run.test(`${flavour}: failing assertion`).failureMessages
    expect(message).toMatch(/^Error: expect\(fn\)\.not\.toBlockEventLoop\(\)\n\nExpected fn not to block the event loop, but it did:\n {2}1\) fs\.readFileSync\(".*users\.json"\) blocked [\d.]+ ms — use fs\.promises\.readFile\n\s+in .*src\/users\.js:8:/)
    // The stack, hence Jest's code frame, is at the assertion in the test.
    expect(message).toMatch(new RegExp(`\\n\\s+at .*tests/${flavour === 'matcher' ? 'matchers' : 'matchers-globals'}\\.test\\.js:\\d+:\\d+\\)?`))
  })

  test("what the matcher's function blocks on is its subject, never charged again to the test", () => {
    const [message] = run.test('matcher: a blocking call outside the matcher still fails the test').failureMessages
    expect(message).toMatch(/^BlockingIOError: 1 blocking operation .*\n {2}1\) fs\.statSync\(/)
    expect(message).not.toContain('readFileSync')
    expect(run.test('matcher: sync fn, with .not').status).toBe('passed')
  })

  const warning = "loopcop: per-test checking is off: 'loopcop/jest' is in setupFilesAfterEnv, but the tests do not run in loopcop's environment"

  test("loopcop/jest/matchers without loopcop's environment: the matchers work, tests are not checked, no warning", () => {
    expect(run.test('plain env: blocking does not fail the test').status).toBe('passed')
    expect(run.test('plain env: the matcher works').status).toBe('passed')
    expect(run.test('plain env: the matcher fails with its message').failureMessages[0]).toMatch(/^Error: expect\(fn\)\.not\.toBlockEventLoop\(\)\n\nExpected fn not to block the event loop, but it did:\n {2}1\) fs\.statSync\(/)
  })

  test("loopcop/jest without loopcop's environment: one warning per worker that names the fix; the matcher still works", () => {
    expect(run.test('no env 1: blocking passes, unchecked').status).toBe('passed')
    expect(run.test('no env 2: the matcher still works').status).toBe('passed')
    const times = run.output.split(warning).length - 1
    // Two test files of that project, two workers: once per worker process at most, at least once.
    expect(times).toBeGreaterThanOrEqual(1)
    expect(times).toBeLessThanOrEqual(2)
    expect(run.output).toContain("Set testEnvironment: 'loopcop/jest/environment' in the Jest config")
    expect(run.output).toContain("Use 'loopcop/jest/matchers' in setupFilesAfterEnv instead")
  })

  test('configure() called in a test file reaches the core the environment runs', () => {
    expect(run.test('configure(): its allow rules apply to the tests').status).toBe('passed')
  })
})
