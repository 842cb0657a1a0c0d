import { beforeAll, describe, expect, test } from 'vitest'
import { type MochaRun, runMocha } from './support.js'

// The edges fixture: tests that skip, time out, leave work running, or fail on their own.
describe('tests that end unusually', () => {
  let run: MochaRun
  const charged = (title: string, kind = 'sync-io') => run.report?.findings.filter((f) => f.test?.name === `edges ${title}` && f.kind === kind) ?? []
  beforeAll(async () => {
    run = await runMocha('edges', [], { name: 'edges', env: { LOOPCOP_STALL_MS: '100' } })
  })

  test('every test still runs, with Mocha’s own verdicts', () => {
    expect(run.json.stats).toMatchObject({ tests: 9, passes: 4, pending: 1, failures: 4 })
    expect(run.message('edges times out after blocking')).toContain('Timeout of 200ms exceeded')
  })

  test('a test that fails on its own keeps its own error; its blocking call is printed apart and goes to the run report', () => {
    const title = 'edges fails with its own error, not loopcop’s, when it both blocks and throws'
    expect(run.message(title)).toBe('its own failure')
    expect(charged('fails with its own error, not loopcop’s, when it both blocks and throws')).toHaveLength(1)
    expect(run.stderr).toContain(`loopcop: "${title}" failed with an error of its own, which the runner shows alone; what loopcop found in it is in the run summary, and here:\n1 blocking operation on the event loop during "${title}"`)
  })

  test('a skipped or timed-out test’s blocking call is kept for the run report; the timed-out one’s is printed when Mocha reports it, the skipped one’s is not', () => {
    expect(charged('skips itself after blocking')).toHaveLength(1)
    expect(charged('times out after blocking')).toHaveLength(1)
    expect(run.stderr).toContain('loopcop: "edges times out after blocking" timed out, so this is not in its failure; it is in the run summary:\n1 blocking operation on the event loop during "edges times out after blocking"')
    // `this.skip()` throws, and is no failure.
    expect(run.stderr).not.toContain('loopcop: "edges skips itself after blocking"')
  })

  // stylus: Mocha fails a test with an error thrown in a callback as uncaught; loopcop said the test
  // "did not finish … (a timeout, or a hook that failed)", and the ENOENT of a wrapped call showed loopcop's frames.
  test('a test failed by an uncaught error keeps it, and its blocking call is printed saying so; the error shows no frame of loopcop', () => {
    const title = 'edges fails with an uncaught error from a callback after blocking'
    expect(run.message(title)).toBe('uncaught from a callback')
    expect(charged('fails with an uncaught error from a callback after blocking')).toHaveLength(1)
    expect(run.stderr).toContain(`loopcop: "${title}" failed with an uncaught error (thrown in a callback, or a promise nothing awaited), which the runner shows alone, so this is not in its failure; it is in the run summary:\n1 blocking operation on the event loop during "${title}"`)
    expect(run.stderr).not.toContain(`loopcop: "${title}" did not finish`)
    const enoent = run.json.failures.find((f) => f.fullTitle === 'edges throws ENOENT from a blocking call in a callback')
    expect(enoent?.err.message).toMatch(/^ENOENT: no such file or directory, open '.*missing\.txt'$/)
    expect(enoent?.err.stack).toMatch(/\n\s+at .*test\/edges\.spec\.js:\d+:\d+/)
    expect(enoent?.err.stack).not.toMatch(/node_modules[\\/]loopcop|core-bundle|CallRecorder|at timed /)
  })

  test('blocking by work a test left running is a leak of that test, not a failure of the next one', () => {
    expect(charged('leaves a timer that blocks after it ended').map((f) => f.leak)).toEqual([true])
    // Too late to fail anything (fail mode): recorded as warned, so no summary or annotation calls it a failure.
    expect(charged('leaves a timer that blocks after it ended').map((f) => f.mode)).toEqual(['warn'])
    expect(charged('is not charged for what the previous test left running')).toEqual([])
    expect(run.failed).not.toContain('edges is not charged for what the previous test left running')
  })

  test('a stall is reported with the spinning line; stalls only warn by default (stallMode)', () => {
    expect(run.failed).not.toContain('edges spins past the stall threshold')
    const warning = run.stderr.slice(run.stderr.indexOf('loopcop (warn):'))
    expect(warning).toContain('1 event loop stall during "edges spins past the stall threshold"')
    expect(warning).toMatch(/event loop stalled \d+ ms(?: of CPU time \(\d+ ms of wall time\))? \(threshold 100 ms\) — break the work [^\n]*\n\s+at spin \(test\/edges\.spec\.js:/)
    expect(charged('spins past the stall threshold', 'stall').length).toBeGreaterThan(0)
  })
})
