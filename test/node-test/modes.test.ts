import { beforeAll, describe, expect, test } from 'vitest'
import { type NodeMajor, type NodeTestRun, runNodeTest } from './support.js'

// The oldest and the newest Node: each mode set with LOOPCOP_MODE, as CI would.
for (const node of [20, 26] as const satisfies readonly NodeMajor[]) {
  describe(`Node ${node}`, () => {
    let warn: NodeTestRun
    let thrown: NodeTestRun
    let off: NodeTestRun
    beforeAll(async () => {
      const run = (mode: string): Promise<NodeTestRun> => runNodeTest('modes', { name: `modes-${node}-${mode}`, node, env: { LOOPCOP_MODE: mode } })
      ;[warn, thrown, off] = await Promise.all([run('warn'), run('throw'), run('off')])
    })

    test("mode 'warn': every test passes; the first test to reach a call site says so on itself (t.diagnostic), the run report holds every one", () => {
      expect(warn.failed, warn.output).toEqual([])
      expect(warn.code).toBe(0)
      const [diagnostic] = warn.test('blocks').diagnostics
      expect(diagnostic).toMatch(/^loopcop \(warn\): new call site src\/app\.js:4:\d+ fs\.readFileSync\(.*\) blocked [\d.]+ ms — use fs\.promises\.readFile \(in "blocks"; /)
      // The same call site again: counted in the report, not said again.
      expect(warn.test('swallows the error of a refused call').diagnostics).toEqual([])
      expect(warn.test('stays clean').diagnostics).toEqual([])
      expect(warn.report?.findings.map((f) => [f.test?.name, f.mode])).toEqual([
        ['blocks', 'warn'],
        ['swallows the error of a refused call', 'warn'],
      ])
    })

    test("mode 'throw': the blocking call itself throws the BlockingIOError, and a test that swallows it still fails", () => {
      expect(thrown.failed, thrown.output).toEqual(['blocks', 'swallows the error of a refused call'])
      const error = thrown.error('blocks')
      expect(error.name).toBe('BlockingIOError')
      expect(error.message).toMatch(/fs\.readFileSync\(.*\) — refused before it ran \(mode: throw\)/)
      // Thrown at the call: the test's own stack runs through the blocking line.
      expect(error.stack).toContain('src/app.js:4:')
      expect(thrown.error('swallows the error of a refused call').message).toContain('during "swallows the error of a refused call"')
    })

    test("mode 'off': nothing is checked", () => {
      expect(off.failed).toEqual([])
      expect(off.report?.findings).toEqual([])
      expect(off.tests.flatMap((t) => t.diagnostics)).toEqual([])
    })
  })
}

describe("mode 'warn', two test files (two processes) reaching one call site", () => {
  const files = ['test/modes.test.mjs', 'again/again.test.mjs']
  const diagnostics = (run: NodeTestRun): string[] => run.tests.flatMap((t) => t.diagnostics).filter((d) => d.startsWith('loopcop (warn): new call site src/app.js:4:'))

  test('printed once a run with loopcop’s reporter, once a process without it; every call is in the report', async () => {
    // Without loopcop's reporter there is no run report to ask for (loopcop/node-test would fail the tests for it).
    const run = (name: string, loopcopReporter: boolean): Promise<NodeTestRun> =>
      runNodeTest('modes', { name, node: 24, files, loopcopReporter, env: { LOOPCOP_MODE: 'warn', ...(!loopcopReporter && { LOOPCOP_REPORT: undefined }) } })
    const [reported, alone] = await Promise.all([run('twice-reported', true), run('twice-alone', false)])
    for (const r of [reported, alone]) expect(r.failed, r.output).toEqual([])
    expect(diagnostics(alone)).toHaveLength(2)
    expect(diagnostics(reported)).toHaveLength(1)
    // A line promises a run summary only when there is one.
    for (const line of diagnostics(reported)) expect(line).toMatch(/; later calls from here are counted in the run summary and JSON report\)$/)
    for (const line of diagnostics(alone)) expect(line).toMatch(/; later calls from here are not printed: loopcop's reporter counts every call in a run summary\)$/)
    expect(new Set(reported.report?.findings.map((f) => f.test?.file))).toEqual(new Set(files))
  })
})

// node:test shows one error a test: one that caught a refused call and let the next through failed
// with the second's error alone, the first only in the run summary.
describe("mode 'throw', a test that catches one refused call and lets the next through", () => {
  let run: NodeTestRun
  beforeAll(async () => {
    run = await runNodeTest('modes', { name: 'refusals', files: ['refusals/refusals.test.mjs'], env: { LOOPCOP_MODE: 'throw' } })
  })

  test.each(['catches one, throws the next', 'catches one, rejects with the next', 'catches one, passes the next to done'])('%s: fails naming both refused calls, the caught one first', (name) => {
    const message = run.error(name).message
    expect(message).toContain(`2 blocking operations on the event loop during "${name}"`)
    expect(message).toMatch(/fs\.readFileSync\(.*refusals\.test\.mjs"\) — refused before it ran \(mode: throw\)[\s\S]*fs\.statSync\(.*refusals\.test\.mjs"\) — refused before it ran \(mode: throw\)/)
  })

  test('a test that fails with its own error keeps it; every refused call is in the run report once', () => {
    expect(run.error('catches one, fails with its own error').message).toBe('its own failure')
    expect(run.failed).toHaveLength(4)
    expect(run.report?.summary).toMatchObject({ calls: 7, tests: 4 })
  })
})
