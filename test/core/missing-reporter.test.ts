// What a run asks that only a runner's loopcop reporter does (the JSON report, a baseline written
// from the run), and the error of a run without that reporter.
import { describe, expect, test } from 'vitest'
import { missingReporterError, reporterAsks } from '../../src/report/missing-reporter.js'

describe('reporterAsks', () => {
  test('nothing asked: no report path, no baseline to write', () => {
    expect(reporterAsks({ report: {} }, {})).toEqual([])
    expect(reporterAsks({ report: { github: true } }, { LOOPCOP_UPDATE_BASELINE: '0' })).toEqual([])
  })

  test('names where the JSON report was asked for: the variable, or the option', () => {
    expect(reporterAsks({ report: { json: 'r.json' } }, { LOOPCOP_REPORT: 'r.json' })).toEqual(['LOOPCOP_REPORT=r.json asks for a JSON report'])
    expect(reporterAsks({ report: { json: 'r.json' } }, {})).toEqual(['the option report.json (r.json) asks for a JSON report'])
  })

  test("only the environment's asks when told so: an option in the config is not one", () => {
    expect(reporterAsks({ report: { json: 'r.json' } }, {}, 'environment')).toEqual([])
    expect(reporterAsks({ report: { json: 'r.json' } }, { LOOPCOP_REPORT: 'r.json', LOOPCOP_UPDATE_BASELINE: 'true' }, 'environment')).toEqual([
      'LOOPCOP_REPORT=r.json asks for a JSON report',
      'LOOPCOP_UPDATE_BASELINE=1 asks to write the baseline file',
    ])
  })

  test('a wrong LOOPCOP_UPDATE_BASELINE (refused where the options are read) asks nothing here', () => {
    expect(reporterAsks({ report: {} }, { LOOPCOP_UPDATE_BASELINE: 'yes please' })).toEqual([])
  })
})

describe('missingReporterError', () => {
  test('undefined when nothing is asked', () => {
    expect(missingReporterError({ report: {} }, 'loopcop/vitest', 'Add it.', {})).toBeUndefined()
  })

  test('one message: the entry, every ask, why they need the reporter, the fix; no stack of loopcop’s own', () => {
    const error = missingReporterError({ report: { json: 'r.json' } }, 'loopcop/jest', 'Add the reporter.', { LOOPCOP_REPORT: 'r.json', LOOPCOP_UPDATE_BASELINE: '1' })
    expect(error?.message).toBe("loopcop/jest: LOOPCOP_REPORT=r.json asks for a JSON report; LOOPCOP_UPDATE_BASELINE=1 asks to write the baseline file, but the run report is made by loopcop's reporter, which this run does not load. Add the reporter.")
    expect(error?.stack).toBe(`Error: ${error?.message}`)
  })
})
