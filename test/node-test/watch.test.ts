// `node --test --watch` runs the test files a change touches again, in new test processes, and its
// reporters' stream of events never ends (not even at Ctrl-C). loopcop's reporter reports each run
// when node:test says no test is left to run: its summary and JSON report, its call sites said
// again by the new test processes, its tests counted afresh; each run is partial for a baseline.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { JsonReport } from '../../src/index.js'
import { assertInstalled, childEnv, startChild } from '../helpers/run.js'
import { type WatchResult, driveWatch } from '../helpers/watch.js'
import { missing, nodeTestFixtures, nodes } from './support.js'

const cwd = join(nodeTestFixtures, 'watch')
const WRITTEN = 'loopcop: JSON report written to'

/** `node --test --watch` on the fixture: after each report, `next(runs)` says whether to write the code under test again (a change: a run again) or stop (Ctrl-C). */
function watch(bin: string, report: string, baseline: string, next: (runs: number) => 'again' | 'stop'): Promise<WatchResult> {
  assertInstalled()
  const env = childEnv({ CI: 'true', PATH: `${dirname(bin)}:${process.env.PATH ?? ''}`, LOOPCOP_MODE: 'warn', LOOPCOP_STALL_MS: '0', LOOPCOP_REPORT: report, LOOPCOP_BASELINE: baseline })
  const args = ['--test', '--watch', '--import', 'loopcop/node-test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=loopcop/node-test/reporter', '--test-reporter-destination=stderr']
  const child = startChild(bin, args, { cwd, env })
  const code = join(cwd, 'lib', 'config.js')
  // The same text written again: node:test's watcher sees a change and runs the file again.
  return driveWatch(child, { ended: WRITTEN, next, again: () => writeFileSync(code, readFileSync(code)), timeoutMs: 90_000 })
}

describe.each(nodes)('Node $major: node --test --watch', ({ major, bin }) => {
  test('each run is reported when it ends, its call site said again, its tests not repeats of the last run’s', async () => {
    if (bin === undefined) throw new Error(missing(major))
    const report = join('reports', `watch-${major}.json`)
    rmSync(join(cwd, report), { force: true })
    const reports: JsonReport[] = []
    // No file named: node:test finds the fixture's one test file itself, as in a run of the whole suite.
    // A baseline whose one entry no run sees: a complete run would list it as fixed.
    const baseline = join(mkdtempSync(join(tmpdir(), 'loopcop-node-test-watch-')), 'baseline.json')
    writeFileSync(baseline, JSON.stringify({ version: 1, entries: [{ file: 'lib/gone.js', function: 'gone', operation: 'fs.statSync', package: '' }] }))
    const { stderr, stdout } = await watch(bin, report, baseline, (runs) => {
      reports.push(JSON.parse(readFileSync(join(cwd, report), 'utf8')) as JsonReport)
      rmSync(join(cwd, report))
      return runs === 1 ? 'again' : 'stop'
    })
    const runs = stderr.split(WRITTEN)
    // Two runs reported, and nothing after the second (Ctrl-C).
    expect(runs).toHaveLength(3)
    for (const run of runs.slice(0, 2)) expect(run).toContain('loopcop: 1 blocking call at 1 call site in 1 test')
    expect(runs[2]).not.toMatch(/loopcop/)
    // The test processes say the call site in each run (node:test relays their stderr to the spec reporter).
    expect(stdout.match(/loopcop \(warn\): new call site lib\/config\.js:5:31 fs\.readFileSync\(/g)).toHaveLength(2)
    expect(reports).toHaveLength(2)
    for (const r of reports) {
      expect(r.findings).toHaveLength(1)
      expect(r.findings[0]).toMatchObject({ operation: 'fs.readFileSync', calls: 1, test: { name: 'config loads', file: 'test/config.test.js' }, location: { file: 'lib/config.js', line: 5 } })
      expect(r.findings[0]?.test).not.toHaveProperty('repeat')
      // A rerun runs what a change touched: partial, so the baseline keeps the entries it did not see.
      expect(r.baseline).toMatchObject({ complete: false, partial: '--watch', fixed: [] })
    }
  }, 240_000)
})
