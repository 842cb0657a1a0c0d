import { beforeAll, describe, expect, test } from 'vitest'
import { type MochaRun, runMocha } from './support.js'

// The suite fixture: 25 tests (CJS `.js` specs and an ESM `.mjs` one) of every shape Mocha has.
const failing = [
  'allowBlocking still fails on blocking after the callback',
  'an ESM spec blocks through a named import',
  'async tests blocks after an await',
  'async tests blocks in a timer it awaits',
  'done-callback tests calls done after blocking in a timer',
  'lazy require requires a module that reads its config when loaded',
  'retries blocks on every attempt',
  'sync tests reads users with readFileSync',
  'sync tests shells out with execSync',
  'with a blocking beforeEach sees the users its hook loaded',
]

const runs = [
  { label: 'Mocha 12, serial', args: [], mocha11: false },
  { label: 'Mocha 12, --parallel', args: ['--parallel', '--jobs', '2'], mocha11: false },
  { label: 'Mocha 11, serial', args: [], mocha11: true },
  { label: 'Mocha 11, --parallel', args: ['--parallel', '--jobs', '2'], mocha11: true },
]

describe.each(runs)('$label', ({ label, args, mocha11 }) => {
  let run: MochaRun
  beforeAll(async () => {
    run = await runMocha('suite', args, { name: `per-test-${label.replace(/\W+/g, '-')}`, mocha11 })
  })

  test('exactly the blocking tests fail, and every other test still runs and passes', () => {
    expect(run.failed).toEqual(failing)
    expect(run.json.stats).toMatchObject({ tests: 25, passes: 15, failures: 10, pending: 0 })
    expect(run.code).toBe(10)
  })

  test('a failure names the test, the operation, the time and the blocking line', () => {
    const message = run.message('sync tests reads users with readFileSync')
    expect(message).toContain('1 blocking operation on the event loop during "sync tests reads users with readFileSync"')
    expect(message).toMatch(/fs\.readFileSync\(".*data\/users\.json"\) blocked [\d.]+ ms — use fs\.promises\.readFile/)
    expect(message).toContain('at Object.readUsers (src/app.js:9:')
    expect(message).toContain('test/sync.spec.js:8:')
    expect(run.message('sync tests shells out with execSync')).toMatch(/child_process\.execSync\("echo 1\.2\.3"\) blocked [\d.]+ ms[^\n]*\n\s+at Object\.gitVersion \(src\/app\.js:13:/)
  })

  test('blocking in a promise continuation, a timer or before done() is charged to its test', () => {
    expect(run.message('async tests blocks after an await')).toContain('test/async.spec.js:12:')
    expect(run.message('async tests blocks in a timer it awaits')).toMatch(/child_process\.execSync[\s\S]*test\/async\.spec\.js:15:/)
    expect(run.message('done-callback tests calls done after blocking in a timer')).toContain('test/done.spec.js:8:')
  })

  test('a beforeEach hook is part of its test; a before-all hook belongs to no test', () => {
    expect(run.message('with a blocking beforeEach sees the users its hook loaded')).toContain('test/hooks.spec.js:9:')
    expect(run.failed).not.toContain('with a blocking before-all hook is not charged for a before-all hook')
  })

  test('an afterEach hook cannot fail the test Mocha already reported: it is printed and kept for the run report', () => {
    expect(run.failed).not.toContain('with a blocking afterEach passes, its afterEach is reported in the run summary')
    expect(run.stderr).toContain('loopcop: an afterEach hook blocked the event loop after Mocha had reported "with a blocking afterEach passes, its afterEach is reported in the run summary"')
    const inHook = run.report?.findings.filter((f) => f.test?.name === 'with a blocking afterEach passes, its afterEach is reported in the run summary')
    expect(inHook?.map((f) => [f.operation, f.location?.line])).toEqual([['child_process.execSync', 13]])
    // It failed nothing, so the report and the annotations do not say it did (`mode` fail, `::error`).
    expect(inHook?.map((f) => f.mode)).toEqual(['warn'])
  })

  test('this.retries(): a retried test is checked on every attempt, and a clean retry leaves no finding', () => {
    const attempts = run.report?.findings.filter((f) => f.test?.name === 'retries blocks on every attempt') ?? []
    expect(attempts).toHaveLength(2)
    expect(run.report?.findings.some((f) => f.test?.name.startsWith('retries passes'))).toBe(false)
  })

  test("a lazy require inside a test: the module loader is not a finding, the module's own readFileSync is, at its line", () => {
    expect(run.failed).not.toContain('lazy require requires a clean module inside the test')
    const message = run.message('lazy require requires a module that reads its config when loaded')
    expect(message).toContain('1 blocking operation')
    expect(message).toContain('(src/lazy-config.js:6:')
  })

  test('allowBlocking() in both forms, and allow rules from configure()', () => {
    for (const title of ['allowBlocking allows the rest of the test', 'allowBlocking allows only inside the callback', 'allowBlocking allows an async callback', 'sync tests checks a file with an allowed existsSync', 'sync tests reads a fixture allowed by a path rule', 'an ESM spec allows with allowBlocking imported as ESM']) {
      expect(run.json.passes.map((p) => p.fullTitle)).toContain(title)
    }
    const message = run.message('allowBlocking still fails on blocking after the callback')
    expect(message).toContain('child_process.execSync')
    expect(message).not.toContain('fs.readFileSync')
    const allowed = run.report?.findings.filter((f) => f.allowed).map((f) => [f.operation, f.allowedBy])
    expect(allowed).toEqual(expect.arrayContaining([['fs.existsSync', 'fs.existsSync'], ['fs.readFileSync', '{"operation":"fs.readFileSync","path":"**/data/allowed-*"}']]))
  })

  test('ESM named imports of node:fs are seen', () => {
    expect(run.message('an ESM spec blocks through a named import')).toContain('(test/esm.spec.mjs:10:')
  })
})

// typedoc in `fail` mode: a fixture's `rmSync` in an `afterEach` printed a failure message after each
// of 26 tests, though it fails none. Said as `warn` mode says it: once a call site in the run.
test('an afterEach hook that blocks at the same call site after two tests is said once, as a warning, in fail mode', async () => {
  const run = await runMocha('suite', ['--grep', 'with a blocking afterEach'], { name: 'per-test-after-each-twice', env: { FIXTURE_AFTER_EACH_TWICE: '1' } })
  expect(run.json.stats).toMatchObject({ tests: 2, passes: 2, failures: 0 })
  const notice = 'loopcop: an afterEach hook blocked the event loop after Mocha had reported'
  expect(run.stderr.split(notice)).toHaveLength(2)
  expect(run.stderr).toContain(`${notice} "with a blocking afterEach passes, its afterEach is reported in the run summary"`)
  expect(run.stderr).toMatch(/\(a hook failure would skip the rest of the suite\):\nloopcop \(warn\): new call site src\/app\.js:\d+:\d+ child_process\.execSync\(/)
  expect(run.stderr).not.toContain('blocking operation on the event loop')
  const inHooks = (run.report?.findings ?? []).filter((f) => f.operation === 'child_process.execSync')
  expect(inHooks.map((f) => [f.test?.name, f.mode])).toEqual([
    ['with a blocking afterEach passes, its afterEach is reported in the run summary', 'warn'],
    ['with a blocking afterEach passes too, its afterEach blocking at the same call site', 'warn'],
  ])
})
