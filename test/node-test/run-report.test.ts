import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import type { JsonReport } from '../../src/index.js'
import { storageRunFrames } from '../helpers/frames.js'
import { type NodeTestRun, nodeTestFixtures, run, runNodeTest } from './support.js'

const preload = ['loopcop/node-test', './loopcop.setup.mjs']

describe('across test processes', () => {
  let one: NodeTestRun
  let many: NodeTestRun
  beforeAll(async () => {
    ;[one, many] = await Promise.all([
      runNodeTest('suite', { name: 'run-report-concurrency-1', preload, args: ['--test-concurrency=1'] }),
      runNodeTest('suite', { name: 'run-report-concurrency-4', preload, args: ['--test-concurrency=4'] }),
    ])
  })

  test('nothing is lost or counted twice, one test process at a time or four', () => {
    const key = (report: JsonReport | undefined): string[] => (report?.findings ?? []).map((f) => `${f.test?.name} ${f.operation} ${f.allowed}`).sort()
    expect(key(many.report)).toEqual(key(one.report))
    // 15 findings of 17 blocking calls (a leaked interval's three are one), 2 allowed by rules, 4 allowed by allowBlocking(), 2 found by assertNoBlocking.
    expect(key(one.report)).toHaveLength(23)
    const rules = (many.report?.findings ?? []).filter((f) => f.allowed).map((f) => f.rule ?? '').sort()
    expect(rules.filter((r) => r.startsWith('allowBlocking'))).toEqual(['allowBlocking()', 'allowBlocking(fn)', 'allowBlocking(fn)', 'allowBlocking(fn)'])
    expect((many.report?.findings ?? []).filter((f) => f.scope === 'assertion').map((f) => f.test?.name).sort()).toEqual(['assertNoBlocking as the failing assertion of a test', 'assertNoBlocking fails for blocking code, with node:assert'])
    const ids = many.report?.findings.map((f) => f.id) ?? []
    expect(new Set(ids).size).toBe(ids.length)
    expect(many.report?.summary.lost).toBeUndefined()
    // No frame of the scope each test runs in (Node's `AsyncLocalStorage.run`, called by loopcop).
    expect(storageRunFrames(one.report)).toEqual([])
  })

  test('the summary groups the findings by call site, on the destination given to the reporter (stderr), never on stdout', () => {
    expect(many.stderr).toMatch(/loopcop: 17 blocking calls at 4 call sites in 15 tests, [\d.]+ ms blocked in total\n/)
    expect(many.stderr).toMatch(/^ {2}fs\.readFileSync at src\/app\.js:7:\d+: 11 calls, [\d.]+ ms \(3 of them leaked past their test\) — 9 tests: "blocks after an await", "calls done after blocking in a timer", "concurrent > blocks while the other test runs", …\n\s+use fs\.promises\.readFile$/m)
    expect(many.stderr).toMatch(/^ {2}child_process\.execSync at src\/app\.js:11:\d+: 4 calls, /m)
    expect(many.stderr).toContain('  6 allowed findings not counted above')
    expect(many.stderr).toContain('found by assertions (toBlockEventLoop, assertNoBlocking, blockEventLoop, doesNotBlock), which pass or fail their tests themselves: 2 blocking calls at 1 call site')
    expect(many.stdout).not.toContain('loopcop')
  })
})

describe('GitHub annotations and report options', () => {
  test('GITHUB_ACTIONS=true: one annotation per call site, an error where a test failed on it', async () => {
    const run = await runNodeTest('modes', { name: 'annotations', env: { GITHUB_ACTIONS: 'true' } })
    expect(run.stderr).toMatch(/^::error file=src\/app\.js,line=4,col=\d+,title=loopcop%3A fs\.readFileSync::fs\.readFileSync\(.*\) blocked [\d.]+ ms — use fs\.promises\.readFile \(2 calls in 2 tests\)$/m)
  })

  test("mode 'warn': the annotations are warnings", async () => {
    const run = await runNodeTest('modes', { name: 'annotations-warn', env: { GITHUB_ACTIONS: 'true', LOOPCOP_MODE: 'warn' } })
    expect(run.stderr).toMatch(/^::warning file=src\/app\.js,line=4,/m)
    expect(run.stderr).not.toMatch(/^::error/m)
  })

  test('report options set with configure() in the test processes reach the reporter', async () => {
    const configured = join(nodeTestFixtures, 'modes', 'reports', 'configured.json')
    rmSync(configured, { force: true })
    const run = await runNodeTest('modes', { name: 'configured', preload: ['loopcop/node-test', './loopcop.report.mjs'], env: { LOOPCOP_REPORT: undefined } })
    expect(run.stderr).toContain('loopcop: JSON report written to reports/configured.json')
    expect(run.stderr).toMatch(/^::error file=src\/app\.js,line=4,/m)
    const report = JSON.parse(readFileSync(configured, 'utf8')) as JsonReport
    expect(report.summary).toMatchObject({ findings: 2, tests: 2 })
  })
})

describe('the baseline', () => {
  test('LOOPCOP_UPDATE_BASELINE=1 writes it from the test processes’ findings; a rerun against it passes, its findings known', async () => {
    const baseline = join(mkdtempSync(join(tmpdir(), 'loopcop-node-test-baseline-')), 'baseline.json')
    const write = await runNodeTest('modes', { name: 'baseline-write', env: { LOOPCOP_MODE: 'warn', LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: baseline } })
    expect(write.stderr).toContain(`loopcop: baseline written to ${baseline}: 1 entry (1 added, 0 removed`)
    expect((JSON.parse(readFileSync(baseline, 'utf8')) as { entries: unknown[] }).entries).toEqual([expect.objectContaining({ file: 'src/app.js', function: 'readUsers', operation: 'fs.readFileSync', package: '' })])
    const rerun = await runNodeTest('modes', { name: 'baseline-rerun', env: { LOOPCOP_BASELINE: baseline } })
    expect(rerun.code, rerun.output).toBe(0)
    expect(rerun.report?.summary).toMatchObject({ findings: 0 })
    expect(rerun.report?.summary.baselined).toBeGreaterThan(0)
    expect(rerun.stderr).toContain('loopcop: no new blocking of the event loop found')
  })

  // `files: []`: node --test finds the test files itself, a run of the whole suite.
  test('a run in which a test failed (it may have stopped before its blocking call) is partial: an update keeps the entries it did not see', async () => {
    const baseline = join(mkdtempSync(join(tmpdir(), 'loopcop-node-test-baseline-')), 'baseline.json')
    const env = { LOOPCOP_MODE: 'warn', LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: baseline }
    const functions = (): string[] => (JSON.parse(readFileSync(baseline, 'utf8')) as { entries: { function: string }[] }).entries.map((e) => e.function)
    const write = await runNodeTest('baseline', { name: 'whole', files: [], env })
    expect(write.report?.baseline, write.output).toMatchObject({ complete: true })
    expect(functions()).toEqual(['loadConfig', 'ping'])
    const failing = await runNodeTest('baseline', { name: 'fails-early', files: [], env: { ...env, FIXTURE_FAIL_EARLY: '1' } })
    expect(failing.code).not.toBe(0)
    expect(failing.report?.baseline, failing.output).toMatchObject({ complete: false, partial: 'a test or a hook failed, or a test file did not load', fixed: [] })
    expect(failing.stderr).toContain('(0 added, 0 removed); a partial run (a test or a hook failed, or a test file did not load) keeps the entries it did not see')
    expect(functions()).toEqual(['loadConfig', 'ping'])
  })

  // release-it's test/util/*.js: node:test's default pattern runs every module of a test folder, and
  // each run was partial ("loopcop did not check part of the run"): no entry was ever fixed.
  test.each([20, 24] as const)('Node %i: a module of the test folder that holds no test leaves the whole run complete, said apart; a file of another framework\'s tests makes it partial', async (node) => {
    const baseline = join(mkdtempSync(join(tmpdir(), 'loopcop-node-test-baseline-')), 'baseline.json')
    const env = { LOOPCOP_MODE: 'warn', LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: baseline }
    const helper = await runNodeTest('baseline', { name: `with-helper-${node}`, node, files: [], env })
    expect(helper.code, helper.output).toBe(0)
    expect(helper.report?.baseline, helper.output).toMatchObject({ complete: true })
    expect(helper.stderr).toContain("loopcop: 1 test file holds no test: test/util/helper.mjs (node:test ran each as one test, which printed nothing: a helper module in a folder node:test's default pattern runs); nothing in it to check")
    expect(helper.stderr).not.toContain('partial')
    const other = await runNodeTest('baseline', { name: `with-other-framework-${node}`, node, files: [], env: { ...env, FIXTURE_OTHER_FRAMEWORK: '1' } })
    expect(other.code, other.output).toBe(0)
    expect(other.report?.baseline, other.output).toMatchObject({ complete: false, partial: 'loopcop did not check part of the run' })
    expect(other.stderr).toContain("loopcop: 1 test file ran no test of node:test's, so loopcop checked nothing in it: test/util/helper.mjs.")
    expect(other.stderr).not.toContain('holds no test:')
  })

  // @fastify/static's trial: borp names no test file on its command line, and the run was said to.
  test("a run a program on node:test's run() started (borp) is partial, and says so as that, not as files named on its command line", async () => {
    const baseline = join(mkdtempSync(join(tmpdir(), 'loopcop-node-test-baseline-')), 'baseline.json')
    const report = join(dirname(baseline), 'report.json')
    const env = { NODE_OPTIONS: '--import loopcop/node-test', LOOPCOP_MODE: 'warn', LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: baseline, LOOPCOP_REPORT: report }
    const result = await run(process.execPath, ['run-api.mjs'], { cwd: join(nodeTestFixtures, 'baseline'), env })
    expect(result.code, result.output).toBe(0)
    const partial = "the test files were chosen by a script or a program on node:test's run() (borp, say), not by `node --test` with no file named"
    expect((JSON.parse(readFileSync(report, 'utf8')) as JsonReport).baseline, result.output).toMatchObject({ complete: false, partial, fixed: [] })
    expect(result.stderr).toContain(`; a partial run (${partial}) keeps the entries it did not see`)
    expect(result.stderr).not.toContain('named on the command line')
    expect((JSON.parse(readFileSync(baseline, 'utf8')) as { entries: { function: string }[] }).entries.map((e) => e.function)).toEqual(['loadConfig', 'ping'])
  })
})

// marked's spec suite: its tests are defined by `runTests` of @markedjs/testutils, a dependency.
// node:test names that file as where each test was defined; the report named it as their file.
describe('tests a dependency defines', () => {
  test.each([20, 24] as const)('Node %i: are charged to the test file node:test ran, not to the dependency', async (node) => {
    const run = await runNodeTest('spec-runner', { name: `spec-runner-${node}`, node, files: ['test/specs.test.js'] })
    expect(run.failed, run.output).toEqual(['a.md'])
    expect(run.report?.findings.map((f) => ({ operation: f.operation, test: f.test, location: f.location?.file }))).toEqual([
      { operation: 'fs.readFileSync', test: { name: 'a.md', file: 'test/specs.test.js' }, location: 'src/render.js' },
    ])
  }, 60_000)
})

// marked's specs run its built bundle, whose source map Node reads only when asked: the summary
// showed the bundle's lines (the whole Tokenizer on one) without a word.
describe('code under test that was built, with a source map', () => {
  test("its lines are the built file's, and the summary says how to see the source's; with --enable-source-maps, the source's", async () => {
    const files = ['test/built.test.js']
    const [built, mapped, formatted] = await Promise.all([
      runNodeTest('spec-runner', { name: 'built', node: 24, files }),
      runNodeTest('spec-runner', { name: 'built-mapped', node: 24, files, env: { NODE_OPTIONS: '--enable-source-maps' } }),
      // ajv under ts-node: a formatter of its own that maps nothing there, over Node's that would.
      runNodeTest('spec-runner', { name: 'built-formatted', node: 24, files, env: { NODE_OPTIONS: '--enable-source-maps --require ./plain-formatter.cjs' } }),
    ])
    expect(built.report?.findings.map((f) => [f.location?.file, f.location?.line])).toEqual([['lib/render.js', 3]])
    expect(built.stderr).toContain("loopcop: the lines shown in built files (lib/render.js:3, …) are the built code's: the file names a source map, and Node keeps none unless asked (your own stack traces show the same lines). Run with NODE_OPTIONS=--enable-source-maps to see source lines.")
    expect(mapped.report?.findings.map((f) => [f.location?.file, f.location?.line])).toEqual([['src/render.ts', 5]])
    expect(mapped.stderr).not.toContain('built files')
    expect(formatted.report?.findings.map((f) => [f.location?.file, f.location?.line]), formatted.output).toEqual([['src/render.ts', 5]])
    expect(formatted.stderr).not.toContain('built files')
  }, 60_000)
})
