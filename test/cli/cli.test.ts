// `npx loopcop baseline|merge|summary` (README "CI"), run as a user runs it — the bin of the
// installed tarball, as a child process — on JSON reports real runs wrote.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import type { JsonReport } from '../../src/index.js'
import { type BaselineRun, project, runCli, runners, workDir } from '../baseline/support.js'

const dir = workDir()
const [vitest, , mocha] = runners(dir)
const read = (path: string): JsonReport => JSON.parse(readFileSync(path, 'utf8')) as JsonReport
const ids = (r: JsonReport): string[] => r.findings.map((f) => f.id).sort()
// Test names without the runner's separator (Vitest `config > loads`, Mocha `config loads`).
const sites = (r: JsonReport): string[] => r.findings.map((f) => `${f.operation} ${f.location?.file}:${f.location?.line} ${f.test?.name.replace(' > ', ' ')}`).sort()

// Warn mode, with a third blocking call: three findings in three tests.
const env = { LOOPCOP_MODE: 'warn', FIXTURE_NEW: '1' }
let whole: BaselineRun
let shards: BaselineRun[]
let updated: string

beforeAll(async () => {
  if (vitest === undefined || mocha === undefined) throw new Error('no runners')
  updated = join(dir, 'updated.json')
  whole = await mocha.run({ ...env, LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: updated })
  // Vitest's own sharding: each shard writes its own report.
  shards = [await vitest.run(env, ['--shard=1/2']), await vitest.run(env, ['--shard=2/2'])]
}, 300_000)

describe('merge', () => {
  test('combines the reports of shards: every finding once, the summary counted afresh', async () => {
    expect(shards.map((s) => s.report?.findings.length)).toEqual([expect.any(Number), expect.any(Number)])
    expect(shards.every((s) => (s.report?.findings.length ?? 0) < 3)).toBe(true)
    const out = join(dir, 'merged.json')
    const result = await runCli(['merge', ...shards.map((s) => s.reportPath), '-o', out], dir)
    expect(result.code, result.output).toBe(0)
    expect(result.stderr).toContain(`loopcop: merged 2 reports (3 findings) into ${out}`)
    const merged = read(out)
    expect(ids(merged)).toEqual(shards.flatMap((s) => s.report?.findings.map((f) => f.id) ?? []).sort())
    // The same call sites, tests and counts as one run of the whole suite (in another runner).
    expect(sites(merged)).toEqual(sites(whole.report as JsonReport))
    expect(sites(merged)).toHaveLength(3)
    expect(merged.summary).toEqual({ ...(whole.report as JsonReport).summary, blockedMs: merged.summary.blockedMs })
    expect(merged.summary).toMatchObject({ findings: 3, tests: 3, calls: 3 })
  })

  test('a finding given twice (a report merged with itself, or with a merge of it) counts once', async () => {
    const [first] = shards
    const result = await runCli(['merge', first?.reportPath ?? '', first?.reportPath ?? ''], dir)
    expect(result.code, result.output).toBe(0)
    const merged = JSON.parse(result.stdout) as JsonReport
    expect(ids(merged)).toEqual(ids(first?.report as JsonReport))
    expect(merged.summary).toEqual(first?.report?.summary)
  })

  test('a merged baseline section is complete only when every part was, and says each part\'s reason once', async () => {
    const [first, second] = shards.map((s) => s.report as JsonReport)
    const section = { path: 'loopcop-baseline.json', known: 0, fixed: [], written: false }
    const parts: [string, JsonReport['baseline']][] = [
      ['a.json', { ...section, complete: false, partial: '--shard' }],
      ['b.json', { ...section, complete: false, partial: '--shard' }],
      ['c.json', { ...section, complete: false, partial: 'a test or a hook failed, or a test file did not load' }],
    ]
    const paths = parts.map(([name, baseline], i) => {
      const path = join(dir, name)
      writeFileSync(path, JSON.stringify({ ...(i === 0 ? first : second), baseline }))
      return path
    })
    const result = await runCli(['merge', ...paths], dir)
    expect(result.code, result.output).toBe(0)
    expect((JSON.parse(result.stdout) as JsonReport).baseline).toMatchObject({ complete: false, partial: '--shard; a test or a hook failed, or a test file did not load' })
  })

  test('the findings a worker lost are counted once a report, however often it is given', async () => {
    const [first, second] = shards.map((s) => s.report as JsonReport)
    const withLost = (r: JsonReport | undefined, name: string, lost: number): string => {
      const path = join(dir, name)
      writeFileSync(path, JSON.stringify({ ...r, summary: { ...r?.summary, lost } }))
      return path
    }
    const a = withLost(first, 'lost-a.json', 2)
    const b = withLost(second, 'lost-b.json', 1)
    const both = join(dir, 'lost-both.json')
    expect((await runCli(['merge', a, b, '-o', both], dir)).code).toBe(0)
    expect(read(both).summary.lost).toBe(3)
    const again = await runCli(['merge', a, a, both, b], dir)
    expect(again.code, again.output).toBe(0)
    expect((JSON.parse(again.stdout) as JsonReport).summary.lost).toBe(3)
    // Two shards that found nothing and each lost one: alike, and both count.
    const empty = (name: string): string => withLost({ ...(first as JsonReport), findings: [] }, name, 1)
    const nothing = await runCli(['merge', empty('lost-c.json'), empty('lost-d.json')], dir)
    expect((JSON.parse(nothing.stdout) as JsonReport).summary.lost).toBe(2)
  })
})

describe('baseline', () => {
  test('writes from the shards’ reports the baseline LOOPCOP_UPDATE_BASELINE=1 writes from one run of the whole suite', async () => {
    const out = join(dir, 'from-shards.json')
    const result = await runCli(['baseline', ...shards.map((s) => s.reportPath), '-o', out], dir)
    expect(result.code, result.output).toBe(0)
    expect(result.stderr).toContain(`loopcop: baseline written to ${out}: 3 entries from 2 reports`)
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(updated, 'utf8'))
    expect((JSON.parse(readFileSync(out, 'utf8')) as { entries: { function: string }[] }).entries.map((e) => e.function)).toEqual(['loadConfig', 'ping', 'saveUser'])
  })

  test("keeps the stall entries of the file it writes over, as LOOPCOP_UPDATE_BASELINE=1 does (a run without the stall does not show it fixed), and only those whose test file is there", async () => {
    const out = join(dir, 'with-stall.json')
    mkdirSync(join(dir, 'test'), { recursive: true })
    writeFileSync(join(dir, 'test/csv.test.js'), '')
    const stall = { file: 'test/csv.test.js', function: 'test: csv parses a big file', operation: 'stall', package: '', calls: 1, tests: 1 }
    const deleted = { file: 'test/deleted.test.js', function: 'test: deleted stalled once', operation: 'stall', package: '', calls: 1, tests: 1 }
    const gone = { file: 'src/gone.js', function: 'gone', operation: 'fs.statSync', package: '', calls: 1, tests: 1 }
    writeFileSync(out, JSON.stringify({ version: 1, entries: [stall, deleted, gone] }))
    const result = await runCli(['baseline', ...shards.map((s) => s.reportPath), '-o', out], dir)
    expect(result.code, result.output).toBe(0)
    expect(result.stderr).toContain(`loopcop: baseline written to ${out}: 4 entries from 2 reports, and 1 stall entry the file had (a stall's entry goes when its line is deleted, or its test file is)`)
    const entries = (JSON.parse(readFileSync(out, 'utf8')) as { entries: { function: string }[] }).entries
    expect(entries.map((e) => e.function)).toEqual(['loadConfig', 'ping', 'saveUser', 'test: csv parses a big file'])
  })

  test('writes loopcop-baseline.json in the working directory without -o', async () => {
    const result = await runCli(['baseline', whole.reportPath], dir)
    expect(result.code, result.output).toBe(0)
    expect(readFileSync(join(dir, 'loopcop-baseline.json'), 'utf8')).toBe(readFileSync(updated, 'utf8'))
  })
})

describe('summary', () => {
  test('prints the run summary in Markdown', async () => {
    const result = await runCli(['summary', whole.reportPath], dir)
    expect(result.code, result.output).toBe(0)
    expect(result.stdout).toMatch(/^## loopcop\n\n\*\*3 blocking calls\*\* at 3 call sites in 3 tests, /)
    expect(result.stdout).toContain('| operation | call site | calls | blocked | tests |')
    expect(result.stdout).toMatch(/\| fs\.statSync \| src\/store\.js:\d+ \| 1 \| [\d.]+ ms \| 1 \|/)
  })

  test('is what a run on GitHub Actions appends to $GITHUB_STEP_SUMMARY', async () => {
    const stepSummary = join(dir, 'step-summary.md')
    writeFileSync(stepSummary, '# earlier step\n')
    const run = await mocha?.run({ ...env, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: stepSummary })
    expect(run?.code, run?.output).toBe(0)
    const cli = await runCli(['summary', run?.reportPath ?? ''], dir)
    expect(readFileSync(stepSummary, 'utf8')).toBe(`# earlier step\n${cli.stdout}`)
  })

  test('of a run with a baseline: known call sites apart, fixed ones listed', async () => {
    const run = await mocha?.run({ LOOPCOP_BASELINE: updated, FIXTURE_FIXED: '1' })
    expect(run?.code, run?.output).toBe(0)
    const result = await runCli(['summary', run?.reportPath ?? ''], dir)
    expect(result.stdout).toContain('No new blocking of the event loop found.')
    expect(result.stdout).toContain('Known from the baseline (reported, not failing): 1 blocking call at 1 call site')
    expect(result.stdout).toContain('**Fixed**: 2 baseline entries no longer seen')
    expect(result.stdout).toContain('- fs.readFileSync in loadConfig (src/store.js)')
  })
})

describe('errors', () => {
  test('--help, and no arguments, print the usage', async () => {
    for (const args of [['--help'], []]) {
      const result = await runCli(args, dir)
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('Usage: loopcop <command> <report.json…> [options]')
    }
  })

  test.each([
    [['frobnicate', 'a.json'], 'unknown command `frobnicate` (expected baseline, merge or summary)'],
    [['merge'], 'merge needs at least one JSON report'],
    [['merge', 'a.json', '--out', 'x'], 'unknown option `--out`'],
    [['baseline', 'a.json', '-o'], '-o needs a file path'],
  ])('a wrong command line exits 2 and says why: %j', async (args, message) => {
    const result = await runCli(args, dir)
    expect(result.code).toBe(2)
    expect(result.stderr).toBe(`loopcop: ${message}\nRun \`loopcop --help\` for usage.\n`)
  })

  test('a report that cannot be read, or is not a report, exits 1 and names the file', async () => {
    const missing = await runCli(['summary', 'nope.json'], dir)
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(`loopcop: cannot read ${join(dir, 'nope.json')}: ENOENT`)
    const other = join(dir, 'other.json')
    writeFileSync(other, '{"stats":{}}')
    const wrong = await runCli(['merge', other], dir)
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain(`${other} is not a loopcop JSON report`)
    expect(wrong.stdout).toBe('')
  })
})

test('the fixture project is untouched by the runs (reports and baselines went to a temporary folder)', () => {
  expect(readFileSync(join(project, 'package.json'), 'utf8')).toContain('baseline-fixture')
})
