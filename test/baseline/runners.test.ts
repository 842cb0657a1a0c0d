// The baseline (README "Adopting loopcop on an existing codebase") end to end, in Vitest, Jest and
// Mocha: write it from a run, rerun green, a new blocking call fails only its test, a fixed one is
// listed (and fails a strict baseline, in a complete run only).
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { bins, fixtures, runNode } from '../helpers/run.js'
import { type BaselineRun, type Runner, project, runners, workDir } from './support.js'

const dir = workDir()
const baselinePath = join(dir, 'baseline.json')

/** The two call sites the fixture's suite blocks at, as baseline entries. */
const entries = [
  { file: 'src/store.js', function: 'loadConfig', operation: 'fs.readFileSync', package: '', sites: 1, calls: 1, tests: 1 },
  { file: 'src/store.js', function: 'ping', operation: 'fs.existsSync', package: '', sites: 1, calls: 1, tests: 1 },
]

const blockingOf = (run: BaselineRun): string[] =>
  (run.report?.findings ?? [])
    .filter((f) => !f.allowed)
    .map((f) => `${f.operation} ${(f.location?.function ?? '').replace(/^.*\./, '')} ${f.baselined === true ? 'known' : 'new'}`)
    .sort()

describe.each(runners(dir).map((r) => [r.name, r] as const))('%s', (name, runner: Runner) => {
  const baseline = join(dir, `${name}-baseline.json`)

  test('LOOPCOP_UPDATE_BASELINE=1 (in warn mode) writes the baseline from the run: one line per call site, sorted, keyed without line numbers', async () => {
    const run = await runner.run({ LOOPCOP_MODE: 'warn', LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: baseline })
    expect(run.code, run.output).toBe(0)
    expect(run.output).toContain(`loopcop: baseline written to ${baseline}: 2 entries (2 added, 0 removed)`)
    const text = readFileSync(baseline, 'utf8')
    expect(JSON.parse(text)).toMatchObject({ version: 1, entries })
    // One entry per line, for review in a pull request.
    expect(text.split('\n').filter((l) => l.trim().startsWith('{"file"'))).toHaveLength(2)
    expect(text).not.toMatch(/"line"/)
  })

  test('a rerun against it passes: its findings are reported as known, counted apart', async () => {
    const run = await runner.run({ LOOPCOP_BASELINE: baseline })
    expect(run.code, run.output).toBe(0)
    expect(run.failed).toBe(0)
    expect(blockingOf(run)).toEqual(['fs.existsSync ping known', 'fs.readFileSync loadConfig known'])
    expect(run.report?.summary).toMatchObject({ findings: 0, baselined: 2 })
    expect(run.report?.baseline).toMatchObject({ known: 2, complete: true, fixed: [] })
    expect(run.output).toContain('loopcop: no new blocking of the event loop found')
    expect(run.output).toContain('known from the baseline (reported, not failing): 2 blocking calls at 2 call sites')
  })

  test('a new blocking call fails its test, and only its test', async () => {
    const run = await runner.run({ LOOPCOP_BASELINE: baseline, FIXTURE_NEW: '1' })
    expect(run.code).not.toBe(0)
    expect([run.failed, run.passed]).toEqual([1, 3])
    expect(blockingOf(run)).toEqual(['fs.existsSync ping known', 'fs.readFileSync loadConfig known', 'fs.statSync saveUser new'])
    expect(run.report?.findings.find((f) => f.operation === 'fs.statSync')?.test?.name).toMatch(/saves a user$/)
    expect(run.report?.summary).toMatchObject({ findings: 1, tests: 1, baselined: 2 })
    expect(run.output).toMatch(/loopcop: 1 blocking call at 1 call site in 1 test, .* \(new: not in the baseline\)/)
  })

  // An entry is keyed by function, not line: a second blocking line in a known function is the same
  // entry, which the run then sees at more lines than the baseline records (adm-zip's trial).
  test('a new blocking line in a known function passes its test as known, and fails the run, naming the lines', async () => {
    const run = await runner.run({ LOOPCOP_BASELINE: baseline, FIXTURE_SECOND: '1' })
    expect(run.code, run.output).not.toBe(0)
    expect(run.failed).toBe(0)
    expect(run.output).toContain(`loopcop: fs.readFileSync in loadConfig (src/store.js) blocked from 2 lines (13, 14) where the baseline ${baseline} records 1: a new blocking call was added among them`)
    expect(run.output).toContain('loopcop: the run fails: 1 baseline entry was seen at more lines than')
    expect(run.output).toContain("loopcop: no blocking of the event loop found outside the baseline's entries, but one of them was seen at more lines than it records (below)")
    expect(run.output).not.toContain('no new blocking')
    expect(run.output).not.toContain('Unhandled Error')
    expect(run.report?.baseline?.grown).toEqual([{ ...entries[0], lines: [13, 14] }])
    // In warn mode it is said, and fails nothing.
    const warned = await runner.run({ LOOPCOP_BASELINE: baseline, FIXTURE_SECOND: '1', LOOPCOP_MODE: 'warn' })
    expect(warned.code, warned.output).toBe(0)
    expect(warned.output).toContain('blocked from 2 lines (13, 14) where the baseline')
    // Accepted (an update records 2 lines), then one of them fixed: a strict baseline fails the complete run over it (http-proxy-middleware's trial).
    const accepted = join(dir, `${name}-accepted.json`)
    copyFileSync(baseline, accepted)
    const update = await runner.run({ LOOPCOP_MODE: 'warn', LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: accepted, FIXTURE_SECOND: '1' })
    expect(update.output).toContain(`loopcop: baseline written to ${accepted}: 2 entries (0 added, 0 removed, 1 now at more lines)`)
    const fewer = await runner.run({ FIXTURE_STRICT: accepted })
    expect(fewer.code, fewer.output).not.toBe(0)
    expect(fewer.failed).toBe(0)
    expect(fewer.output).toContain(`loopcop: fs.readFileSync in loadConfig (src/store.js) blocked from 1 line (14) where the baseline ${accepted} records 2: a call site of it was fixed`)
    expect(fewer.report?.baseline?.shrunk).toMatchObject([{ ...entries[0], sites: 2, calls: 2, lines: [14] }])
  })

  test('a baselined call that no longer blocks is listed as fixed, to remove from the baseline', async () => {
    const run = await runner.run({ LOOPCOP_BASELINE: baseline, FIXTURE_FIXED: '1' })
    expect(run.code, run.output).toBe(0)
    expect(run.output).toContain('loopcop: 1 baseline entry no longer seen — fixed: remove it from the baseline')
    expect(run.output).toContain('fixed: fs.readFileSync in loadConfig (src/store.js)')
    expect(run.report?.baseline?.fixed).toEqual([entries[0]])
  })

  test('with strict: true a fixed entry fails the complete run', async () => {
    const run = await runner.run({ FIXTURE_STRICT: baseline, FIXTURE_FIXED: '1' })
    expect(run.code).not.toBe(0)
    expect(run.failed).toBe(0)
    expect(run.output).toContain('is strict and lists 1 call site that no longer blocks')
    // Said as the run's outcome, not as a crash of loopcop's (Vitest printed it as an "Unhandled Error", with loopcop's frames).
    expect(run.output).not.toContain('Unhandled Error')
    expect(run.output).not.toMatch(/\bat ratchet |❯ ratchet /)
    // The JSON report says which, for CI.
    expect(run.report?.baseline).toMatchObject({ complete: true, fixed: [entries[0]] })
  })

  test('a partial run (one test file; Mocha: --grep) lists nothing as fixed, so strict does not fail it', async () => {
    const run = await runner.run({ FIXTURE_STRICT: baseline, FIXTURE_FIXED: '1' }, runner.partial)
    expect(run.code, run.output).toBe(0)
    expect(run.output).not.toContain('fixed:')
    expect(run.output).toContain('a partial run')
    expect(run.report?.baseline).toMatchObject({ complete: false, fixed: [] })
  })

  test('a run in which `.only` left tests out is partial: the entries of the tests it skipped are not fixed', async () => {
    // A local run (in CI, Vitest fails a run with `.only`).
    const run = await runner.run({ FIXTURE_STRICT: baseline, FIXTURE_FIXED: '1', FIXTURE_ONLY: '1', CI: '' })
    // Mocha's `.only` leaves out every other test of the run; Vitest's and Jest's, those of its file.
    expect(run.passed, run.output).toBe(name === 'mocha' ? 1 : 3)
    expect(run.code, run.output).toBe(0)
    expect(run.report?.baseline).toMatchObject({ complete: false, fixed: [], partial: name === 'mocha' ? '.only' : `focused tests (.only) in ${name}/config.test.${name === 'vitest' ? 'mjs' : 'js'}` })
    expect(run.output).not.toContain('is strict and lists')
  })

  test('a test written `.skip` is not part of the suite: the run is complete', async () => {
    const run = await runner.run({ FIXTURE_STRICT: baseline, FIXTURE_FIXED: '1', FIXTURE_SKIP: '1' })
    expect(run.code).not.toBe(0)
    expect(run.failed).toBe(0)
    expect(run.report?.baseline).toMatchObject({ complete: true, fixed: [entries[0]] })
    expect(run.output).toContain('is strict and lists 1 call site that no longer blocks')
  })

  test('a baseline that cannot be read fails the run and says why; its findings count as new', async () => {
    const broken = join(dir, `${name}-broken.json`)
    writeFileSync(broken, '{ "version": 1, "entries": [')
    const run = await runner.run({ LOOPCOP_BASELINE: broken })
    expect(run.code).not.toBe(0)
    expect(run.failed).toBe(2)
    expect(run.output).toContain(`loopcop: could not read the baseline file ${broken} (baseline / LOOPCOP_BASELINE): it is not JSON`)
  })

  test('an update of a partial run keeps the entries it did not see', async () => {
    const partial = join(dir, `${name}-partial.json`)
    writeFileSync(partial, readFileSync(baseline))
    const run = await runner.run({ LOOPCOP_MODE: 'warn', LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: partial, FIXTURE_NEW: '1' }, runner.partial)
    expect(run.code, run.output).toBe(0)
    const written = JSON.parse(readFileSync(partial, 'utf8')) as { entries: { function: string }[] }
    expect(written.entries.map((e) => e.function)).toEqual(['loadConfig', 'ping', 'saveUser'])
  })

  // A test that fails before its blocking call, or a file that fails to load, did not run through:
  // the update keeps what it did not see (it was dropped, and failed as new in the next run).
  test.each([
    ['a test fails before its blocking call', 'FIXTURE_FAIL_EARLY'],
    ['a test file fails to load', 'FIXTURE_BROKEN'],
  ])('an update of a run where %s keeps the entries it did not see, and lists nothing as fixed', async (_, variable) => {
    const kept = join(dir, `${name}-${variable}.json`)
    writeFileSync(kept, readFileSync(baseline))
    const run = await runner.run({ LOOPCOP_MODE: 'warn', LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: kept, [variable]: '1' })
    expect(run.code, run.output).not.toBe(0)
    const written = JSON.parse(readFileSync(kept, 'utf8')) as { entries: { function: string }[] }
    expect(written.entries.map((e) => e.function)).toEqual(['loadConfig', 'ping'])
    // A load error stops a Mocha run before any test (and before loopcop reports): nothing is written.
    if (run.report !== undefined) expect(run.report.baseline).toMatchObject({ complete: false, fixed: [] })
    const strict = await runner.run({ FIXTURE_STRICT: kept, [variable]: '1' })
    expect(strict.output).not.toContain('is strict and lists')
  })
})

describe('Mocha: what a complete run is', () => {
  const mocha = runners(dir).find((r) => r.name === 'mocha') as Runner
  const baseline = join(dir, 'mocha-baseline.json')

  test.each([
    ['with a Node flag (Mocha starts itself again, naming the configured spec on its command line)', { FIXTURE_STRICT: baseline, FIXTURE_FIXED: '1' }, ['--enable-source-maps'], []],
    // typedoc: `tsx … mocha.js` puts tsx's `--require`/`--import` before Mocha's bin in the command line Mocha starts again from.
    ["with Node's own flags before Mocha's bin too (`node --enable-source-maps --conditions node …/mocha.js --enable-source-maps`)", { FIXTURE_STRICT: baseline, FIXTURE_FIXED: '1' }, ['--enable-source-maps'], ['--enable-source-maps', '--conditions', 'node']],
    ['when a test changes process.argv', { FIXTURE_STRICT: baseline, FIXTURE_FIXED: '1', FIXTURE_ARGV: '1' }, [], []],
  ])('the whole suite is a complete run %s: a fixed entry fails a strict baseline', async (_, env, args, nodeArgs) => {
    const run = await mocha.run(env, args, nodeArgs)
    expect(run.code, run.output).not.toBe(0)
    expect(run.failed).toBe(0)
    expect(run.report?.baseline).toMatchObject({ complete: true })
    expect(run.output).toContain('is strict and lists 1 call site that no longer blocks')
  })

  test.each([
    ['the configured spec named as written, with a Node flag: complete', ['--spec', 'mocha/*.spec.js', '--enable-source-maps'], {}, true],
    ['a spec file named as `--spec <file>` (it may be run from a folder where the spec matches none): partial, and the run report is written', ['--spec', 'mocha/users.spec.js'], {}, false],
    ['files named with no configured spec (`--no-config`; one file of many?), with a Node flag too: partial', ['--no-config', '--require', 'loopcop/mocha', '--require', './setup.cjs', '--enable-source-maps', 'mocha/users.spec.js'], {}, false],
    ['`--ignore` on the command line: partial', ['--ignore', 'mocha/config.spec.js'], {}, false],
    ['`--dry-run` (no test body runs): partial', ['--dry-run'], {}, false],
    ['`--parallel` with a test file that fails to load (the workers\' failures count): partial', ['--parallel'], { FIXTURE_BROKEN: '1' }, false],
  ])('%s', async (_, args, env, complete) => {
    const run = await mocha.run({ FIXTURE_STRICT: baseline, FIXTURE_FIXED: '1', ...env }, args)
    expect(run.report?.baseline, run.output).toMatchObject({ complete })
    expect(run.output.includes('is strict and lists'), run.output).toBe(complete)
  })
})

// The suite is what the configuration runs (a `--config` file included); an option on the command
// line that leaves out part of it makes the run partial, whose entries not seen are not fixed.
describe('a run narrowed on the command line is partial: it lists nothing as fixed, so a strict baseline does not fail it', () => {
  const all = runners(dir)
  test.each([
    ['Vitest `--exclude`: partial', 'vitest', ['--exclude', 'vitest/config.test.mjs'], {}, '--exclude on the command line'],
    // inquirer's `vitest --run packages`: a filter the path of every test file of the suite has.
    ['Vitest, a file filter every test file matches (`vitest run vitest/`): complete', 'vitest', ['vitest/'], {}, true],
    ['Vitest, a file filter one of the two test files matches: partial', 'vitest', ['users'], {}, 'test files named on the command line'],
    ['Vitest `--dir` (the folder to look for test files in): partial', 'vitest', ['--dir', '.'], {}, '--dir on the command line'],
    ['Vitest `dir` in the configuration (it defines the suite): complete', 'vitest', [], { FIXTURE_DIR: '1' }, true],
    ['Vitest, a configuration of two projects, both run: complete', 'vitest', ['--config', 'vitest.projects.config.mjs'], {}, true],
    ['Vitest `--project users` of the two: partial', 'vitest', ['--config', 'vitest.projects.config.mjs', '--project', 'users'], {}, '--project on the command line'],
    ['Jest, a path pattern every test file matches (`jest jest/`): complete', 'jest', ['jest/'], {}, true],
    ['Jest, a path pattern one of the two test files matches: partial', 'jest', ['users'], {}, 'test files named on the command line'],
    ['Jest `--testPathIgnorePatterns`: partial', 'jest', ['--testPathIgnorePatterns', 'config'], {}, '--testPathIgnorePatterns on the command line'],
    ['Jest `--test-match=…`: partial', 'jest', ['--test-match=**/jest/users.test.js'], {}, '--testMatch on the command line'],
    ['Jest, a configuration of two projects, both run: complete', 'jest', ['--config', 'jest.projects.config.cjs'], {}, true],
    ['Jest `--selectProjects users` of the two: partial', 'jest', ['--config', 'jest.projects.config.cjs', '--selectProjects', 'users'], {}, '--selectProjects on the command line'],
    ['Mocha `--extension ts` (it adds to the configured extensions, which a glob spec ignores): complete', 'mocha', ['--extension', 'ts'], {}, true],
    ['Mocha, a file named in MOCHA_OPTIONS with no configured spec: partial', 'mocha', ['--no-config', '--require', 'loopcop/mocha', '--require', './setup.cjs'], { MOCHA_OPTIONS: 'mocha/users.spec.js' }, 'test files named on the command line; name the suite in `spec`'],
  ] as const)('%s', async (_, name, args, env, verdict) => {
    const runner = all.find((r) => r.name === name) as Runner
    const run = await runner.run({ FIXTURE_STRICT: join(dir, `${name}-baseline.json`), FIXTURE_FIXED: '1', ...env }, args)
    const complete = verdict === true
    expect(run.report?.baseline, run.output).toMatchObject({ complete })
    expect(run.output.includes('is strict and lists'), run.output).toBe(complete)
    expect(run.code !== 0, run.output).toBe(complete)
    // A partial run says why, printed and in the JSON report.
    expect(run.report?.baseline?.partial).toBe(complete ? undefined : verdict)
    if (!complete) expect(run.output).toContain(`loopcop: a partial run (${String(verdict)}): `)
  })
})

test('the baseline path is the same for every runner: a suite moves between runners with its baseline', () => {
  expect(baselinePath).toContain(dir)
  const texts = ['vitest', 'jest', 'mocha'].map((n) => JSON.parse(readFileSync(join(dir, `${n}-baseline.json`), 'utf8')) as unknown)
  expect(texts[1]).toEqual(texts[0])
  expect(texts[2]).toEqual(texts[0])
})

test('Vitest run from above its root (`--root`): the baseline written is the one the workers read, and its keys are theirs', async () => {
  const path = join(dir, 'rooted-baseline.json')
  const env = { NODE_PATH: join(fixtures, 'node_modules'), LOOPCOP_STALL_MS: '0', LOOPCOP_BASELINE: path }
  const root = project.slice(fixtures.length + 1)
  const write = await runNode(bins.vitest, ['run', '--root', root], { cwd: fixtures, env: { ...env, LOOPCOP_MODE: 'warn', LOOPCOP_UPDATE_BASELINE: '1' }, timeoutMs: 180_000 })
  expect(write.code, write.output).toBe(0)
  expect(write.output).toContain('2 entries (2 added, 0 removed)')
  const written = JSON.parse(readFileSync(path, 'utf8')) as { entries: { file: string }[] }
  expect(written.entries.map((e) => e.file)).toEqual([`${root}/src/store.js`, `${root}/src/store.js`])
  const rerun = await runNode(bins.vitest, ['run', '--root', root], { cwd: fixtures, env, timeoutMs: 180_000 })
  expect(rerun.code, rerun.output).toBe(0)
  expect(rerun.output).toContain('known from the baseline (reported, not failing): 2 blocking calls at 2 call sites')
}, 240_000)

// react-hook-form and zod run one test file under two projects (jsdom and node): two runs of a test,
// each with its own findings, which the report tells apart by project and counts as two tests.
describe.each([
  ['vitest', ['--config', 'vitest.projects.config.mjs']],
  ['jest', ['--config', 'jest.projects.config.cjs']],
] as const)('%s: one test file run by two projects', (name, args) => {
  test('is two tests: each finding names its project, the summary counts both and tells them apart, and the baseline counts both tests', async () => {
    const runner = runners(dir).find((r) => r.name === name) as Runner
    const path = join(dir, `${name}-twice-baseline.json`)
    const run = await runner.run({ LOOPCOP_MODE: 'warn', FIXTURE_NEW: '1', FIXTURE_TWICE: '1', LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: path }, args)
    expect(run.code, run.output).toBe(0)
    // Jest joins a test's names with a space, Vitest with ' > '.
    const saves = name === 'vitest' ? 'users > saves a user' : 'users saves a user'
    const file = name === 'vitest' ? 'vitest/users.test.mjs' : 'jest/users.test.js'
    const tests = (run.report?.findings ?? []).filter((f) => f.operation === 'fs.statSync').map((f) => f.test)
    expect(tests.sort((a, b) => (a?.project ?? '').localeCompare(b?.project ?? ''))).toEqual([
      { name: saves, file, project: 'users' },
      { name: saves, file, project: 'users-again' },
    ])
    // The config project's tests (loadConfig, ping), and the users test twice.
    const all = new Set((run.report?.findings ?? []).filter((f) => !f.allowed).map((f) => `${f.test?.project}:${f.test?.name}`))
    expect([...all].filter((t) => t.endsWith(`:${saves}`)).sort()).toEqual([`users-again:${saves}`, `users:${saves}`])
    expect(run.report?.summary.tests).toBe(all.size)
    const line = run.output.split('\n').find((l) => l.includes('fs.statSync at src/store.js')) ?? ''
    expect(line).toContain('2 calls')
    expect(line).toContain(`2 tests: "${saves}" (project users`)
    expect(line).toContain(`"${saves}" (project users-again)`)
    const entry = (JSON.parse(readFileSync(path, 'utf8')) as { entries: { function: string; calls: number; tests: number }[] }).entries.find((e) => e.function === 'saveUser')
    expect(entry).toMatchObject({ calls: 2, tests: 2 })
  })
})
