import { describe, expect, test } from 'vitest'
import { runMocha } from './support.js'

// `mode: 'throw'` refused every call it judged a violation, a call the baseline knows too: a suite
// that adopted loopcop with a baseline failed its known calls as soon as it tried `throw`
// (jscodeshift: 15 tests, in a run whose summary said "no new blocking … known from the baseline").
// A known call runs, and is reported as known, as in `fail` mode.
describe("mode: 'throw' with a baseline", () => {
  test('a call the baseline knows runs and is reported as known; a new one is refused', async () => {
    const run = await runMocha('known-refusals', [], { name: 'known-refusals', env: { LOOPCOP_MODE: 'throw', LOOPCOP_BASELINE: 'loopcop-baseline.json' } })
    expect(run.failed).toEqual(['stats the config, a call the baseline does not know'])
    expect(run.message('stats the config, a call the baseline does not know')).toMatch(/fs\.statSync\("[^"]*package\.json"\) — refused before it ran \(mode: throw\)/)
    const found = (run.report?.findings ?? []).map((f) => [f.test?.name, f.operation, f.calls, f.baselined === true, f.mode]).sort()
    expect(found).toEqual([
      ['reads the config, a call the baseline knows', 'fs.readFileSync', 3, true, 'throw'],
      ['stats the config, a call the baseline does not know', 'fs.statSync', 1, false, 'throw'],
    ])
    expect(run.stderr).toContain('known from the baseline (reported, not failing): 3 blocking calls at 1 call site in 1 test')
  })
})
