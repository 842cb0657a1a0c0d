// Vitest's watch mode runs the test files a change touches again, in the same Vitest process, with
// new workers. loopcop's reporter reports each run at its end: its summary and JSON report, its
// call sites said again by the new workers, its tests counted afresh; each rerun is partial for a
// baseline.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import type { JsonReport } from '../../src/index.js'
import { assertInstalled, bins, childEnv, fixtures, startChild } from '../helpers/run.js'
import { driveWatch } from '../helpers/watch.js'

const cwd = join(fixtures, 'vitest', 'watch')
const WRITTEN = 'loopcop: JSON report written to'

test('each run is reported at its end, its call site said again, its tests not repeats of the last run’s; a rerun is partial', async () => {
  assertInstalled()
  const dir = mkdtempSync(join(tmpdir(), 'loopcop-vitest-watch-'))
  const report = join(dir, 'loopcop.json')
  // A baseline whose one entry no run sees: a complete run would list it as fixed.
  const baseline = join(dir, 'baseline.json')
  writeFileSync(baseline, JSON.stringify({ version: 1, entries: [{ file: 'src/gone.ts', function: 'gone', operation: 'fs.statSync', package: '' }] }))
  const env = childEnv({ CI: undefined, LOOPCOP_MODE: 'warn', LOOPCOP_STALL_MS: '0', LOOPCOP_REPORT: report, LOOPCOP_BASELINE: baseline })
  const child = startChild(process.execPath, [bins.vitest, '--watch', '--pool=forks'], { cwd, env })
  const code = join(cwd, 'src', 'config.ts')
  const reports: JsonReport[] = []
  const { stdout, stderr } = await driveWatch(child, {
    ended: WRITTEN,
    next: (runs) => {
      reports.push(JSON.parse(readFileSync(report, 'utf8')) as JsonReport)
      rmSync(report)
      return runs === 1 ? 'again' : 'stop'
    },
    // The same text written again: Vitest's watcher sees a change and runs the test file again.
    again: () => writeFileSync(code, readFileSync(code)),
  })
  rmSync(dir, { recursive: true, force: true })
  const runs = stderr.split(WRITTEN)
  expect(runs, stderr).toHaveLength(3)
  for (const run of runs.slice(0, 2)) expect(run).toContain('loopcop: 1 blocking call at 1 call site in 1 test')
  // Nothing after the second report (the rest of its line is the report's path).
  expect(runs[2]?.split('\n').slice(1).join('\n')).not.toMatch(/loopcop/)
  expect(`${stdout}${stderr}`.match(/loopcop \(warn\): new call site src\/config\.ts:6:10 fs\.readFileSync\(/g)).toHaveLength(2)
  expect(reports).toHaveLength(2)
  for (const r of reports) {
    expect(r.findings).toHaveLength(1)
    expect(r.findings[0]).toMatchObject({ operation: 'fs.readFileSync', calls: 1, test: { name: 'config loads', file: 'test/config.test.ts' }, location: { file: 'src/config.ts', line: 6 } })
    expect(r.findings[0]?.test).not.toHaveProperty('repeat')
  }
  // The first run runs every test file; a rerun only what the change touched.
  expect(reports[1]?.baseline).toMatchObject({ complete: false, fixed: [] })
}, 240_000)
