import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { JsonReport } from '../../src/index.js'
import { nodeBinary, nodeTestFixtures, run, runNodeTest } from './support.js'

// Nothing inside loopcop makes a run greener than it would be without it, and nothing it was asked
// for goes missing without a word.
describe('configuration errors stop the run with the variable named', () => {
  test('LOOPCOP_MODE=bogus: the reporter stops the run before any test process starts', async () => {
    const run = await runNodeTest('modes', { name: 'bogus-with-reporter', env: { LOOPCOP_MODE: 'bogus' } }).catch((error: Error) => error)
    // No test ran, so the results reporter wrote nothing: runNodeTest says so with the output.
    expect(String(run)).toContain("loopcop/node-test/reporter cannot start: Expected `LOOPCOP_MODE` to be one of 'fail', 'throw', 'warn', 'off', got `\"bogus\"`")
    expect(String(run)).not.toContain('core-bundle')
  })

  test('LOOPCOP_MODE=bogus without loopcop’s reporter: every test file fails with it', async () => {
    const run = await runNodeTest('modes', { name: 'bogus-without-reporter', loopcopReporter: false, env: { LOOPCOP_MODE: 'bogus', LOOPCOP_REPORT: undefined } })
    expect(run.code).not.toBe(0)
    expect(run.passed).toEqual([])
    expect(`${run.testStderr}${run.stderr}`).toContain('loopcop/node-test cannot start: Expected `LOOPCOP_MODE` to be one of')
    expect(`${run.testStderr}${run.stderr}`).not.toContain('core-bundle')
  })
})

describe('the run report', () => {
  test('a JSON report asked for without loopcop’s reporter fails every test, saying how to add it', async () => {
    const run = await runNodeTest('modes', { name: 'no-reporter', loopcopReporter: false })
    expect(run.code).not.toBe(0)
    expect(run.failed).toEqual(['blocks', 'stays clean', 'swallows the error of a refused call'])
    const error = run.error('stays clean')
    expect(error.message).toContain("loopcop/node-test: LOOPCOP_REPORT=reports/no-reporter.json asks for a JSON report, but the run report is made by loopcop's reporter, which this run does not load.")
    expect(error.message).toContain('--test-reporter=loopcop/node-test/reporter --test-reporter-destination=stderr')
    // Runners on node:test's run() take reporters their own way (borp's `-r name:file`, found on pino).
    expect(error.message).toContain('(under borp: `-r spec -r loopcop/node-test/reporter:loopcop.txt`)')
  })

  test('a baseline to write (LOOPCOP_UPDATE_BASELINE=1) without loopcop’s reporter fails every test too', async () => {
    const run = await runNodeTest('modes', { name: 'no-reporter-baseline', loopcopReporter: false, env: { LOOPCOP_REPORT: undefined, LOOPCOP_UPDATE_BASELINE: '1' } })
    expect(run.code).not.toBe(0)
    expect(run.failed).toEqual(['blocks', 'stays clean', 'swallows the error of a refused call'])
    expect(run.error('stays clean').message).toContain('loopcop/node-test: LOOPCOP_UPDATE_BASELINE=1 asks to write the baseline file, but the run report is made by loopcop')
  })

  test('without a JSON report to write, the tests are checked without loopcop’s reporter', async () => {
    const run = await runNodeTest('modes', { name: 'no-reporter-no-json', loopcopReporter: false, env: { LOOPCOP_REPORT: undefined } })
    expect(run.failed).toEqual(['blocks', 'swallows the error of a refused call'])
  })

  test('loopcop’s reporter without --import loopcop/node-test says that no test was checked', async () => {
    const run = await runNodeTest('modes', { name: 'reporter-only', preload: [] })
    expect(run.failed).toEqual([])
    expect(run.stderr).toContain('loopcop: no test was checked: add `--import loopcop/node-test` to the node command line that runs the tests')
    expect(run.stderr).not.toContain('no blocking of the event loop found')
    expect(run.stderr).not.toContain('failed to load') // every test passed: nothing failed to load
  })

  test("a script whose tests another framework runs (node:test runs none) says that no test was checked, not that nothing blocked (chokidar)", async () => {
    const run = await runNodeTest('modes', { name: 'other-framework', direct: true, files: ['other-framework.mjs'] })
    expect(run.code, run.output).toBe(0)
    expect(run.stdout).toContain('ok - reads its manifest')
    expect(run.stderr).toContain("loopcop: no test was checked: node:test ran no test in this run. loopcop/node-test checks node:test's tests")
    expect(run.stderr).not.toContain('no blocking of the event loop found')
    expect(run.report?.summary.unchecked).toMatch(/^no test was checked: node:test ran no test/)
  })

  // pino's browser tests are tape's, run by borp (node:test) with NODE_OPTIONS='--import loopcop/node-test':
  // node:test runs such a file as one test of its own, in which loopcop sees no test of node:test's.
  test('test files whose tests another framework runs, under node --test with the --import in NODE_OPTIONS, name that framework as a cause (pino)', async () => {
    const run = await runNodeTest('modes', { name: 'other-framework-test', preload: [], files: ['other-framework.mjs'], env: { NODE_OPTIONS: '--import loopcop/node-test' } })
    expect(run.failed, run.output).toEqual([])
    expect(run.stderr).toContain('loopcop: no test was checked: `--import loopcop/node-test` is given (on the command line or in NODE_OPTIONS), yet no test process sent the reporter anything')
    expect(run.stderr).toContain('or test files whose tests another framework runs (tape')
    expect(run.stderr).not.toContain('no blocking of the event loop found')
  })

  // pino under borp: tape's files beside node:test's. The run report covered the node:test files and
  // said nothing of the others.
  test.each([20, 24] as const)('Node %i: test files whose tests another framework runs, beside checked ones, are named under the summary as not checked (pino)', async (node) => {
    const run = await runNodeTest('modes', { name: `other-framework-mixed-${node}`, node, files: ['other-framework.mjs', 'test/modes.test.mjs'], env: { LOOPCOP_MODE: 'warn' } })
    expect(run.failed, run.output).toEqual([])
    expect(run.stderr).toContain("loopcop: 1 test file ran no test of node:test's, so loopcop checked nothing in it: other-framework.mjs. node:test ran each as one test: its tests are another framework's (tape")
    // The checked file's findings are reported as ever.
    expect(run.report?.findings.map((f) => [f.test?.name, f.operation])).toEqual([['blocks', 'fs.readFileSync'], ['swallows the error of a refused call', 'fs.readFileSync']])
    expect(run.report?.summary.unchecked).toBeUndefined()
  })

  test('a run whose test file failed to load says so beside the missing --import: loopcop was there, the file was not', async () => {
    // Node 24 takes a folder named on the command line for a test file, which fails to load (fastify's `node --test test/`).
    const run = await runNodeTest('modes', { name: 'folder-as-file', node: 24, files: ['test'] })
    expect(run.failed).toEqual(['test'])
    // The --import is there: the advice is not to add it.
    expect(run.stderr).toContain('loopcop: no test was checked: `--import loopcop/node-test` is given (on the command line or in NODE_OPTIONS), yet no test process sent the reporter anything')
    expect(run.stderr).toContain('a test file that failed to load, a path node --test could not find, or test files whose tests another framework runs (tape')
    expect(run.stderr).not.toContain('add `--import loopcop/node-test`')
  })

  test.each([20, 24] as const)('Node %i: a module imported beside loopcop/node-test that fails to load is named as the likely cause, not a missing --import; its error shows no frame of loopcop (koa)', async (node) => {
    const run = await runNodeTest('modes', { name: `broken-import-${node}`, node, preload: ['loopcop/node-test', './no-such-setup.mjs'] })
    expect(run.failed.length).toBeGreaterThan(0)
    expect(run.stderr).toContain('`--import loopcop/node-test` is given (on the command line or in NODE_OPTIONS), yet no test process sent the reporter anything: a module imported beside it that failed to load')
    expect(run.stderr).not.toContain('add `--import loopcop/node-test`')
    expect(run.stderr).not.toContain('no blocking of the event loop found')
    // Node's ERR_MODULE_NOT_FOUND, through loopcop's resolve hook on Node 22.15+ (module.registerHooks), without its frame.
    const told = `${run.testStderr}${JSON.stringify(run.tests)}`
    expect(told).toContain('ERR_MODULE_NOT_FOUND')
    expect(told).not.toContain('core-bundle')
  })

  test('a JSON report that cannot be written is said and fails a run whose tests all passed', async () => {
    const blocked = join(nodeTestFixtures, 'modes', 'reports', 'blocked')
    mkdirSync(blocked, { recursive: true })
    writeFileSync(join(blocked, 'in-the-way'), 'a file where the report folder should be\n')
    const run = await runNodeTest('modes', { name: 'unwritable', env: { LOOPCOP_MODE: 'warn', LOOPCOP_REPORT: 'reports/blocked/in-the-way/report.json' } })
    expect(run.failed).toEqual([])
    expect(run.stderr).toContain('loopcop: could not write the JSON report to')
    expect(run.code).not.toBe(0)
  })

  // Node 20's --test-force-exit exits as the last test ends, before node:test's reporters read the
  // run's end (zx's suite on Node 20: no summary, no report, no baseline, exit 0). Node 24 waits for them.
  test.each([20, 24] as const)('--test-force-exit on Node %i: the summary is printed and the JSON report and baseline written', async (major) => {
    const bin = nodeBinary(major)
    if (bin === undefined) throw new Error(`no Node ${major}`)
    const cwd = join(nodeTestFixtures, 'modes')
    const report = join(cwd, 'reports', `force-exit-${major}.json`)
    const baseline = join(cwd, 'reports', `force-exit-${major}.baseline.json`)
    rmSync(report, { force: true })
    rmSync(baseline, { force: true })
    const args = ['--test', '--test-force-exit', '--import', 'loopcop/node-test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=loopcop/node-test/reporter', '--test-reporter-destination=stderr', 'test/modes.test.mjs']
    const result = await run(bin, args, { cwd, env: { LOOPCOP_MODE: 'warn', LOOPCOP_STALL_MS: '0', LOOPCOP_TEST_CODE: 'check', LOOPCOP_REPORT: report, LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: baseline } })
    expect(result.code, result.output).toBe(0)
    expect(result.stderr).toMatch(/^loopcop: 2 blocking calls at 1 call site in 2 tests/m)
    expect((JSON.parse(readFileSync(report, 'utf8')) as JsonReport).findings.map((f) => f.operation)).toEqual(['fs.readFileSync', 'fs.readFileSync'])
    expect(readFileSync(baseline, 'utf8')).toContain('"operation":"fs.readFileSync"')
    if (major === 20) {
      // Reported as the process exits: what the reporter had read of the run may be short of its end, so the run is partial.
      expect(result.stderr).toContain("loopcop: the process ended before node:test's reporters read the end of the run, as --test-force-exit does on Node 20: loopcop's report follows, on stderr")
      expect(result.stderr).toContain('a partial run (the process ended before')
    } else expect(result.stderr).not.toContain('the process ended before')
  })

  test('process.exit() in a blocking test: its finding is in the run report, and its file fails', async () => {
    const run = await runNodeTest('modes', { name: 'exit', files: ['exit/exit.test.mjs'] })
    expect(run.code).not.toBe(0)
    expect(run.tests.some((t) => t.status === 'fail')).toBe(true)
    expect(run.report?.findings.map((f) => [f.test?.name, f.operation])).toEqual([['blocks, then exits the process', 'fs.readFileSync']])
    expect(run.testStderr).toContain('loopcop: the process exited in the middle of a test that blocked the event loop')
  })

  test('a spool variable inherited from another loopcop run is not this run’s', async () => {
    const outer = join(nodeTestFixtures, 'modes', 'reports', 'outer-spool')
    mkdirSync(outer, { recursive: true })
    const run = await runNodeTest('modes', { name: 'outer-spool', node: 24, loopcopReporter: false, env: { LOOPCOP_REPORT: undefined, LOOPCOP_SPOOL_DIR: outer } })
    expect(run.failed).toEqual(['blocks', 'swallows the error of a refused call'])
    expect(readdirSync(outer)).toEqual([])
  })
})

// Runners run two tests of one name in one file as two tests; loopcop counted them as one.
test('two tests of one name in one file are two tests: in the summary, and told apart in the JSON report', async () => {
  const run = await runNodeTest('modes', { name: 'twins', files: ['twins/twins.test.mjs'] })
  expect(run.failed).toEqual(['twins > reads synchronously', 'twins > reads synchronously'])
  expect(run.report?.summary.tests).toBe(2)
  expect(run.report?.findings.map((f) => f.test?.repeat)).toEqual([undefined, 2])
  expect(run.stderr).toMatch(/— 2 tests: "twins( >)? reads synchronously", "twins( >)? reads synchronously" #2/)
})

// unified and remark run an entry file that imports the test files: every test was charged to the
// entry file, so the rule "test code" did not cover a test file's own calls.
test.each([
  { label: 'node test/index.js, Node 20', node: 20 as const, direct: true },
  { label: 'node --test on the entry file, Node 26', node: 26 as const, direct: false },
])('a test defined in a file the entry file imports is that file’s test ($label)', async ({ node, direct }) => {
  const run = await runNodeTest('modes', { name: `entry-${node}`, node, direct, files: ['entry/index.mjs'], env: { LOOPCOP_TEST_CODE: 'allow' } })
  expect(run.failed).toEqual(['reads through the code under test'])
  expect(run.passed).toEqual(['reads its own fixture'])
  expect(run.report?.findings.map((f) => [f.test?.name, f.test?.file, f.allowedBy])).toEqual([
    ['reads its own fixture', 'entry/reads.mjs', 'test code'],
    ['reads through the code under test', 'entry/reads.mjs', undefined],
  ])
})

// node:test keeps a test's first error and drops a hook's: a test that failed on its own and then
// blocked in a hook showed its own error alone, loopcop's nowhere but the run summary (pino-pretty).
test.each([20, 24] as const)('a test that fails on its own and then blocks in its t.after() or afterEach hook has what the hook blocked on said beside its error (Node %i)', async (node) => {
  const run = await runNodeTest('modes', { name: `after-failed-${node}`, node, files: ['after/failed.test.mjs'] })
  const tests = ['a suite > fails, then blocks in its afterEach hook', 'fails, then blocks in its t.after hook']
  expect(run.failed, run.output).toEqual(tests)
  for (const name of tests) {
    // The test's own error, as node:test shows it.
    expect(run.error(name).message).toMatch(/^Expected values to be strictly equal/)
    const said = run.test(name).diagnostics.join('\n')
    expect(said, run.output).toContain(`loopcop: "${name}" failed with an error of its own, which the runner shows alone; what loopcop found in it is in the run summary, and here:`)
    expect(said).toMatch(/fs\.readFileSync\("[^"]*users\.json"\) blocked [\d.]+ ms — use fs\.promises\.readFile/)
  }
  expect(run.report?.findings.map((f) => f.test?.name).sort()).toEqual(['a suite > fails, then blocks in its afterEach hook', 'fails, then blocks in its t.after hook'])
})

// fastify's tests block in t.after() hooks, which node:test runs after every afterEach: loopcop had
// ended the test there, and reported their calls as leaks that failed nothing.
test.each([20, 24] as const)("a test's own t.after() hook that blocks fails the test (Node %i)", async (node) => {
  const run = await runNodeTest('modes', { name: `after-${node}`, node, files: ['after/after.test.mjs'] })
  expect(run.failed).toEqual(['blocks in a package\'s function given as its t.after hook', 'blocks in an async t.after hook', 'blocks in its t.after hook'])
  expect(run.passed).toEqual(['stays clean, its t.after hook too'])
  expect(run.error('blocks in its t.after hook').message).toContain('fs.readFileSync')
  // No frame of the test file's lies deeper: node:test called the package's function.
  const message = run.error("blocks in a package's function given as its t.after hook").message
  expect(message).toContain("called by the package fakepkg (no frame of your own code among the")
  expect(message).toContain("node:test called the package's function itself")
  expect(message).not.toContain('or your frame lies deeper still')
  expect(run.report?.findings.map((f) => [f.test?.name, f.leak])).toEqual([
    ['blocks in its t.after hook', false],
    ['blocks in an async t.after hook', false],
    ["blocks in a package's function given as its t.after hook", false],
  ])
})

// borp runs tests through node:test's run(), which only NODE_OPTIONS reaches: every process of the
// run got loopcop/node-test, and loopcop made node:test's harness in the runner's own process (an
// empty report after the runner's output) and in any script beside it (exit code 7 for 1).
// `--require` as well: on Node 20 any `--import` in NODE_OPTIONS broke a child that counts on garbage
// collection before it exits (thread-stream's close-on-gc test), and the README offers `--require`.
describe.each([
  ['--import', 24],
  ['--require', 24],
  ['--require', 20],
] as const)('loopcop/node-test through NODE_OPTIONS (%s, Node %i)', (flag, node) => {
  const nodeOptions = { NODE_OPTIONS: `${flag} loopcop/node-test`, LOOPCOP_STALL_MS: '0' }
  const bin = nodeBinary(node)!

  test('a runner built on run() has its test files checked, and its own output left alone', async () => {
    const result = await run(bin, ['run-api.mjs'], { cwd: join(nodeTestFixtures, 'modes'), env: nodeOptions })
    expect(result.code, result.output).toBe(1)
    expect(result.stdout).toMatch(/✖ blocks/)
    expect(result.stdout).toContain('BlockingIOError')
    // One report, the runner's: no second, empty one from a harness made in the runner's process.
    expect(result.stdout.match(/ℹ tests \d+/g)).toEqual(['ℹ tests 3'])
  })

  test('a script that runs no test keeps its output and its exit code', async () => {
    const printed = await run(bin, ['-p', '1 + 1'], { cwd: join(nodeTestFixtures, 'modes'), env: nodeOptions })
    expect(printed.stdout).toBe('2\n')
    expect(printed.code).toBe(0)
    const thrown = await run(bin, ['-e', "throw new Error('boom')"], { cwd: join(nodeTestFixtures, 'modes'), env: nodeOptions })
    expect(thrown.code).toBe(1)
    expect(thrown.stdout).toBe('')
  })
})

// pino's transports failed in warn and off mode: the worker thread loaded loopcop/node-test from the
// inherited options and, taking itself for a test process, had node:test make its harness there.
describe('a worker thread a test starts', () => {
  test.each([20, 24] as const)('keeps its own process handlers (Node %i, warn and off)', async (node) => {
    for (const mode of ['warn', 'off']) {
      const run = await runNodeTest('modes', { name: `worker-${node}-${mode}`, node, files: ['worker/worker.test.mjs'], env: { LOOPCOP_MODE: mode } })
      expect(run.failed, `${mode}: ${run.stderr}`).toEqual([])
      expect(run.passed).toEqual(['a worker thread handles its own unhandled rejection'])
    }
  })
})
