// Stalls in the baseline, in Vitest, Jest and Mocha: a stall is keyed by its test, so a stall
// caught in another function of the same test (where a stall is caught is a sample) stays known,
// and a run where it did not happen (a faster machine) neither lists it as fixed nor fails a
// strict baseline over it — unless its test file is gone. The fixture's `crunch` stalls 1.2 s (of CPU time) in spinA or spinB (FIXTURE_STALL).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { type BaselineRun, type Runner, runners, workDir } from './support.js'

const dir = workDir()
// Well above what a loaded machine adds to a test, well below the 1.2 s the fixture stalls.
const STALL_MS = '300'

const stallsOf = (run: BaselineRun): string[] =>
  (run.report?.findings ?? []).filter((f) => f.kind === 'stall').map((f) => `${(f.location?.function ?? '').replace(/^.*\./, '')} ${f.baselined === true ? 'known' : 'new'}`)

describe.each(runners(dir).map((r) => [r.name, r] as const))('%s', (name, runner: Runner) => {
  const baseline = join(dir, `${name}-stall-baseline.json`)
  const entriesOf = (): { file: string; function: string; operation: string }[] => (JSON.parse(readFileSync(baseline, 'utf8')) as { entries: { file: string; function: string; operation: string }[] }).entries

  test('a stall is recorded by its test: the test file, and the test by name', async () => {
    const run = await runner.run({ LOOPCOP_MODE: 'warn', LOOPCOP_STALL_MS: STALL_MS, LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: baseline, FIXTURE_STALL: 'a' })
    expect(run.code, run.output).toBe(0)
    expect(stallsOf(run)).toEqual(['spinA new'])
    const stall = entriesOf().filter((e) => e.operation === 'stall')
    expect(stall).toEqual([{ file: runner.usersFile, function: expect.stringMatching(/^test: users\b.*crunches numbers$/) as string, operation: 'stall', package: '', calls: 1, tests: 1 }])
  })

  test('the same stall caught in another function of its test is known: it does not fail under stallMode fail', async () => {
    const run = await runner.run({ LOOPCOP_STALL_MS: STALL_MS, FIXTURE_STRICT: baseline, FIXTURE_STALL_MODE: 'fail', FIXTURE_STALL: 'b' })
    expect(run.code, run.output).toBe(0)
    expect(run.failed).toBe(0)
    expect(stallsOf(run)).toEqual(['spinB known'])
    expect(run.report?.baseline).toMatchObject({ complete: true, fixed: [] })
    // A stall is no blocking call: the summary says what is known.
    expect(run.output).toContain('known from the baseline (reported, not failing): 2 blocking calls and 1 stall at 3 call sites')
  })

  test('a run where the stall did not happen lists nothing as fixed, so a strict baseline passes; an update keeps the entry and says so', async () => {
    const strict = await runner.run({ LOOPCOP_STALL_MS: STALL_MS, FIXTURE_STRICT: baseline, FIXTURE_STALL_MODE: 'fail', FIXTURE_STALL: 'none' })
    expect(strict.code, strict.output).toBe(0)
    expect(stallsOf(strict)).toEqual([])
    expect(strict.report?.baseline).toMatchObject({ complete: true, fixed: [] })
    expect(strict.output).not.toContain('is strict and lists')
    const update = await runner.run({ LOOPCOP_MODE: 'warn', LOOPCOP_STALL_MS: STALL_MS, LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: baseline, FIXTURE_STALL: 'none' })
    expect(update.code, update.output).toBe(0)
    expect(update.output).toMatch(/loopcop: 1 stall entry not seen in this run is kept: .*\n {2}kept: event loop stall in the test "users\b.*crunches numbers" \(/)
    expect(entriesOf().map((e) => e.operation).sort()).toEqual(['fs.existsSync', 'fs.readFileSync', 'stall'])
  })

  test("a stall entry whose test file is gone is fixed in a complete run: a strict baseline fails over it, and an update removes it (and only it)", async () => {
    const file = runner.usersFile.replace('users', 'deleted')
    const doc = JSON.parse(readFileSync(baseline, 'utf8')) as { entries: object[] }
    doc.entries.push({ file, function: 'test: deleted > stalled once', operation: 'stall', package: '', calls: 1, tests: 1 })
    writeFileSync(baseline, JSON.stringify(doc))
    const strict = await runner.run({ LOOPCOP_STALL_MS: STALL_MS, FIXTURE_STRICT: baseline, FIXTURE_STALL: 'none' })
    expect(strict.code, strict.output).not.toBe(0)
    expect(strict.output).toContain(`  fixed: event loop stall in the test "deleted > stalled once" (${file}): its test file is gone`)
    expect(strict.output).toContain('is strict and lists 1 call site that no longer blocks')
    expect(strict.report?.baseline).toMatchObject({ complete: true, fixed: [expect.objectContaining({ file, operation: 'stall' })] })
    const update = await runner.run({ LOOPCOP_MODE: 'warn', LOOPCOP_STALL_MS: STALL_MS, LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: baseline, FIXTURE_STALL: 'none' })
    expect(update.code, update.output).toBe(0)
    expect(update.output).toContain('(0 added, 1 removed)')
    expect(entriesOf().map((e) => `${e.operation} ${e.file}`).sort()).toEqual([expect.stringMatching(/^fs\.existsSync /), expect.stringMatching(/^fs\.readFileSync /), `stall ${runner.usersFile}`])
  })
})
