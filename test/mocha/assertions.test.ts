import { beforeAll, describe, expect, test } from 'vitest'
import { type MochaRun, runMocha } from './support.js'

// The assertions fixture (an ESM project, `"type": "module"`, Chai 6), run with loopcop/mocha on:
// what an assertion checks is its own subject, never charged again to the test around it.
describe('assertions for Mocha users', () => {
  let run: MochaRun
  beforeAll(async () => {
    run = await runMocha('assertions', [], { name: 'assertions' })
  })

  test('exactly the failing assertions fail; the others pass', () => {
    expect(run.failed).toEqual([
      'assertNoBlocking fails for blocking async code',
      'assertNoBlocking fails for blocking sync code',
      'chai blockEventLoop fails: blocking async code',
      'chai blockEventLoop fails: blocking code',
      'chai blockEventLoop fails: clean code expected to block',
    ])
    expect(run.json.stats).toMatchObject({ tests: 12, passes: 7, failures: 5 })
  })

  test('assertNoBlocking throws an AssertionError listing each blocking call with its line', () => {
    for (const title of ['assertNoBlocking fails for blocking sync code', 'assertNoBlocking fails for blocking async code']) {
      const failure = run.json.failures.find((f) => f.fullTitle === title)
      expect(failure?.err.name).toBe('AssertionError')
      expect(failure?.err.message).toMatch(/^Expected fn not to block the event loop, but it made 1 blocking call:\n\s+1\) fs\.readFileSync\(".*package\.json"\) blocked [\d.]+ ms — use fs\.promises\.readFile\n\s+at readName \(src\/app\.js:7:/)
    }
    // The stack points at the assertion in the test, also when `fn` was async.
    expect(run.json.failures.find((f) => f.fullTitle === 'assertNoBlocking fails for blocking async code')?.err.stack).toMatch(/test\/assert\.spec\.js:19:/)
  })

  test('the Chai plugin fails with the blocking line, and says when code expected to block did not', () => {
    expect(run.message('chai blockEventLoop fails: blocking code')).toMatch(/^expected fn not to block the event loop, but it made 1 blocking call:\n\s+1\) fs\.readFileSync[^\n]*\n\s+at readName \(src\/app\.js:7:/)
    expect(run.message('chai blockEventLoop fails: blocking async code')).toContain('at readName (src/app.js:7:')
    expect(run.message('chai blockEventLoop fails: clean code expected to block')).toBe('expected fn to block the event loop, but it made no blocking call')
  })

  test('blocking inside an assertion is not charged to the test', () => {
    expect(run.report?.summary).toMatchObject({ findings: 0, tests: 0 })
  })

  test('what the assertions found is in the run report, marked as theirs, and the summary says so', () => {
    const asserted = (run.report?.findings ?? []).filter((f) => f.scope === 'assertion')
    expect(asserted.filter((f) => !f.allowed).map((f) => f.test?.name).sort()).toEqual([
      'assertNoBlocking fails for blocking async code',
      'assertNoBlocking fails for blocking sync code',
      'chai blockEventLoop fails: blocking async code',
      'chai blockEventLoop fails: blocking code',
      'chai blockEventLoop passes: blocking code blocks, and the test is not charged for it',
    ])
    // Allowed by the assertion's own allow option: there, with the rule.
    expect(asserted.filter((f) => f.allowed).map((f) => f.rule)).toEqual(['fs.readFileSync', 'fs.readFileSync'])
    expect(run.report?.summary).toMatchObject({ assertions: 5 })
    expect(run.stderr).toContain('loopcop: no blocking of the event loop found outside assertions (2 allowed findings)')
    expect(run.stderr).toMatch(/found by assertions \(.*\), which pass or fail their tests themselves: 5 blocking calls at 1 call site\n\s+fs\.readFileSync at src\/app\.js:7:\d+: 5 calls/)
    expect(run.stderr).not.toContain('loopcop: no blocking of the event loop found\n')
  })
})
