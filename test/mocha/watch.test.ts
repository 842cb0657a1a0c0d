// Mocha's watch mode runs the suite again in the same process after each change (or `rs` typed on
// its input), and runs the global teardown only when watch mode ends (Ctrl-C). Each run is reported
// at its end: its summary and JSON report, its call sites said again, its tests counted afresh (not
// as repeats of the last run's); when watch mode ends there is nothing more to report. So with
// `--parallel`, whose main process makes a `Mocha` for each run and hands the files to new workers.
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { JsonReport } from '../../src/index.js'
import { assertInstalled, bins, childEnv, fixtures, startChild } from '../helpers/run.js'
import { type WatchResult, driveWatch } from '../helpers/watch.js'
import { mochaFixtures } from './support.js'

const cwd = join(mochaFixtures, 'watch')
const WAITING = '[mocha] waiting for changes...'

/** `mocha --watch` on the fixture: after each run ends, `next(runs)` says whether to type `rs` (run again) or stop (Ctrl-C). */
function watch(mocha: string, flags: readonly string[], report: string, next: (runs: number) => 'again' | 'stop'): Promise<WatchResult> {
  assertInstalled()
  const env = childEnv({ CI: undefined, NODE_PATH: join(fixtures, 'node_modules'), LOOPCOP_MODE: 'warn', LOOPCOP_STALL_MS: '0', LOOPCOP_REPORT: report })
  const child = startChild(process.execPath, [mocha, '--watch', ...flags, '--reporter', 'dot'], { cwd, env, stdin: 'pipe' })
  return driveWatch(child, { ended: WAITING, next, again: () => child.stdin?.write('rs\n') })
}

describe.each([
  { version: 12, mocha: bins.mocha, flags: [] },
  { version: 11, mocha: bins.mocha11, flags: [] },
  { version: 12, mocha: bins.mocha, flags: ['--parallel'] },
  { version: 11, mocha: bins.mocha11, flags: ['--parallel'] },
])('Mocha $version --watch $flags', ({ version, mocha, flags }) => {
  test('each run is reported at its end, its call sites said again, its tests not repeats of the last run’s; nothing more when watch mode ends', async () => {
    const report = join('reports', `watch-${version}${flags.join('')}.json`)
    rmSync(join(cwd, report), { force: true })
    let first: JsonReport | undefined
    const { stderr } = await watch(mocha, flags, report, (runs) => {
      if (runs === 1) {
        first = JSON.parse(readFileSync(join(cwd, report), 'utf8')) as JsonReport
        rmSync(join(cwd, report))
        return 'again'
      }
      return 'stop'
    })
    const runs = stderr.split(WAITING)
    // Two runs, and what came after the second (Ctrl-C, the global teardown).
    expect(runs).toHaveLength(3)
    for (const run of runs.slice(0, 2)) {
      expect(run).toContain('loopcop (warn): new call site lib/config.js:7:13 fs.readFileSync(')
      expect(run).toContain('loopcop: 1 blocking call at 1 call site in 1 test')
      expect(run).toContain(`loopcop: JSON report written to ${report}`)
    }
    expect(runs[2]).not.toMatch(/loopcop/)
    const second = JSON.parse(readFileSync(join(cwd, report), 'utf8')) as JsonReport
    for (const r of [first, second]) {
      expect(r?.findings).toHaveLength(1)
      expect(r?.findings[0]).toMatchObject({ operation: 'fs.readFileSync', calls: 1, test: { name: 'config loads', file: 'test/config.spec.js' }, location: { file: 'lib/config.js', line: 7 } })
      expect(r?.findings[0]?.test).not.toHaveProperty('repeat')
    }
  }, 240_000)
})
