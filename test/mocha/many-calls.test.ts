import { describe, expect, test } from 'vitest'
import { runMocha } from './support.js'

// The many-calls fixture: one test stats a file 150 times from src/ (a violation), another makes a
// call the configuration allows, a third reads and lstats a file 120 times each. Past the first 100 calls of an operation in a test, once one is a
// violation, calls keep no stack: counted and timed, not judged.
describe('calls with no stack of their own, in warn mode', () => {
  test('one line for the call site, one saying what the calls without a stack are; the summary counts them apart and points to the JSON report', async () => {
    const run = await runMocha('many-calls', [], { name: 'many-warn', env: { LOOPCOP_MODE: 'warn' } })
    expect(run.failed).toEqual([])
    expect(run.json.stats).toMatchObject({ passes: 3, failures: 0 })
    const warnings = run.stderr.split('\n').filter((line) => line.startsWith('loopcop (warn):'))
    expect(warnings).toHaveLength(6)
    expect(warnings[0]).toMatch(/^loopcop \(warn\): new call site src\/scan\.js:8:\d+ fs\.statSync\(".*package\.json"\) ×100 blocked [\d.]+ ms in total — use fs\.promises\.stat \(in "many calls stats a file 150 times"; later calls from here are counted in the run summary and JSON report\)$/)
    expect(warnings[1]).toMatch(
      /^loopcop \(warn\): fs\.statSync ×50 more calls, not judged, blocked [\d.]+ ms in total — use fs\.promises\.stat \(in "many calls stats a file 150 times"; no stack of their own: past the first 100 calls of an operation in a test, once one of them is not allowed by a rule \(calls a baseline knows are not\), later calls are counted and timed only; the run summary and JSON report count them\)$/,
    )
    // Said once a run (jscodeshift: six operations past their first 100 calls said it six times).
    const again = (op: string): string => `loopcop (warn): ${op} ×20 more calls, not judged, blocked `
    for (const op of ['fs.readFileSync', 'fs.lstatSync']) {
      const line = warnings.find((w) => w.startsWith(again(op)))
      expect(line, warnings.join('\n')).toMatch(/ \(in "many calls reads and lstats a file 120 times each"; no stack of their own, for the reason given with the first such calls; the run summary and JSON report count them\)$/)
    }
    expect(run.stderr).toContain('  90 more calls not judged, not counted above (no stack of their own: past the first 100 calls of an operation in a test, once one of them is not allowed by a rule (calls a baseline knows are not), later calls are counted and timed only)')
    expect(run.stderr).toContain('  1 allowed finding not counted above (listed in the JSON report, reports/many-warn.json)')
    expect(run.report?.summary).toMatchObject({ calls: 300, allowed: 1, unstackedCalls: 90 })
  })
})
