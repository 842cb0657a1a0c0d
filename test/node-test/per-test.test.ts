import { beforeAll, describe, expect, test } from 'vitest'
import { type NodeMajor, type NodeTestRun, runNodeTest } from './support.js'

// The suite fixture: 33 tests and subtests of every shape node:test has (ESM and CommonJS files),
// run on every Node version, each file in its own process and, where Node has it, all in one.
const runs: { readonly node: NodeMajor; readonly isolation: 'process' | 'none' }[] = [
  { node: 20, isolation: 'process' },
  { node: 22, isolation: 'process' },
  { node: 22, isolation: 'none' },
  { node: 24, isolation: 'process' },
  { node: 24, isolation: 'none' },
  { node: 26, isolation: 'process' },
  { node: 26, isolation: 'none' },
]

/** Every test the suite fixture fails because it blocked (and `parent`, which node:test fails for its failed subtest). */
function failing(node: NodeMajor): string[] {
  return [
    'a CommonJS test file loads its config with readFileSync',
    'allowBlocking > still fails on blocking after the callback',
    'assertNoBlocking as the failing assertion of a test',
    'blocks after an await',
    'blocks in a timer it awaits',
    'calls done after blocking in a timer',
    'concurrent > blocks while the other test runs',
    'parent',
    'parent > blocking child',
    'parent that blocks after its subtests',
    'sync > reads through a named import of node:fs',
    'sync > reads users with readFileSync',
    'sync > shells out with execSync',
    // t.assert.register() came with Node 22.14: skipped on Node 20.
    ...(node >= 22 ? ['t.assert.doesNotBlock'] : []),
    'with a blocking afterEach > fails through its afterEach hook',
    'with a blocking beforeEach > nested > inherits the hook',
    'with a blocking beforeEach > sees the users its hook loaded',
  ].sort()
}

/** The run report's findings: every blocking test once, at its line; allowed ones with their rule. */
const expectedFindings = [
  ['a CommonJS test file loads its config with readFileSync', 'fs.readFileSync', 'src/legacy.cjs:6', false, false],
  ['allowBlocking > still fails on blocking after the callback', 'child_process.execSync', 'src/app.js:11', false, false],
  ['blocks after an await', 'fs.readFileSync', 'src/app.js:7', false, false],
  ['blocks in a timer it awaits', 'child_process.execSync', 'src/app.js:11', false, false],
  ['calls done after blocking in a timer', 'fs.readFileSync', 'src/app.js:7', false, false],
  ['concurrent > blocks while the other test runs', 'fs.readFileSync', 'src/app.js:7', false, false],
  // An interval's three calls after its test: one finding (the report gathers a test's leaks by call site).
  ['leaves a timer that blocks after it ends', 'fs.readFileSync', 'src/app.js:7', false, true],
  ['parent > blocking child', 'fs.readFileSync', 'src/app.js:7', false, false],
  ['parent that blocks after its subtests', 'fs.readFileSync', 'src/app.js:7', false, false],
  ['sync > checks a file with an allowed existsSync', 'fs.existsSync', 'allowed by fs.existsSync', true, false],
  ['sync > reads a fixture allowed by a path rule', 'fs.readFileSync', 'allowed by {"operation":"fs.readFileSync","path":"**/data/allowed-*"}', true, false],
  ['sync > reads through a named import of node:fs', 'fs.readFileSync', 'src/app.js:27', false, false],
  ['sync > reads users with readFileSync', 'fs.readFileSync', 'src/app.js:7', false, false],
  ['sync > shells out with execSync', 'child_process.execSync', 'src/app.js:11', false, false],
  ['with a blocking afterEach > fails through its afterEach hook', 'child_process.execSync', 'src/app.js:11', false, false],
  ['with a blocking beforeEach > nested > inherits the hook', 'fs.readFileSync', 'src/app.js:7', false, false],
  ['with a blocking beforeEach > sees the users its hook loaded', 'fs.readFileSync', 'src/app.js:7', false, false],
]

for (const { node, isolation } of runs) {
  describe(`Node ${node}, isolation ${isolation}`, () => checks(node, isolation))
}

function checks(node: NodeMajor, isolation: 'process' | 'none'): void {
  let run: NodeTestRun
  beforeAll(async () => {
    run = await runNodeTest('suite', { name: `per-test-${node}-${isolation}`, node, isolation, preload: ['loopcop/node-test', './loopcop.setup.mjs'] })
  })

  test('exactly the blocking tests fail, and every other test still runs and passes', () => {
    expect(run.failed, run.output).toEqual(failing(node))
    expect(run.passed).toHaveLength(33 - failing(node).length - (node === 20 ? 1 : 0))
    expect(run.code).toBe(1)
    if (node === 20) expect(run.test('t.assert.doesNotBlock').status).toBe('skip')
  })

  test('a failure is the BlockingIOError itself: the test by its full name, the operation, the time, the line, the alternative', () => {
    const error = run.error('sync > reads users with readFileSync')
    expect(error.name).toBe('BlockingIOError')
    expect(error.message).toContain('1 blocking operation on the event loop during "sync > reads users with readFileSync"')
    expect(error.message).toMatch(/fs\.readFileSync\(".*data\/users\.json"\) blocked [\d.]+ ms — use fs\.promises\.readFile/)
    expect(error.message).toContain('at readUsers (src/app.js:7:')
    expect(error.message).toContain('test/sync.test.mjs:7:')
    expect(error.message).toContain('Allow it with allowBlocking() in the test')
    // The error's stack is the culprit's: reporters show the blocking line first.
    expect(error.stack?.split('\n').find((l) => l.trimStart().startsWith('at '))).toMatch(/at readUsers \(.*src\/app\.js:7:\d+\)/)
    expect(run.error('sync > shells out with execSync').message).toMatch(/child_process\.execSync\("echo 1\.2\.3"\) blocked [\d.]+ ms[^\n]*\n\s+at gitVersion \(src\/app\.js:11:/)
    expect(run.error('sync > reads through a named import of node:fs').message).toContain('(src/app.js:27:')
    expect(run.error('a CommonJS test file loads its config with readFileSync').message).toContain('(src/legacy.cjs:6:')
  })

  test('blocking in a promise continuation, a timer or before done() is charged to its test', () => {
    expect(run.error('blocks after an await').message).toContain('test/async.test.mjs:11:')
    expect(run.error('blocks in a timer it awaits').message).toMatch(/child_process\.execSync[\s\S]*test\/async\.test\.mjs:15:/)
    expect(run.error('calls done after blocking in a timer').message).toContain('test/async.test.mjs:20:')
    expect(run.passed).toContain('calls done without blocking')
  })

  test('beforeEach and afterEach hooks are part of their test; a before-all hook and describe bodies belong to no test', () => {
    expect(run.error('with a blocking beforeEach > sees the users its hook loaded').message).toContain('test/hooks.test.mjs:8:')
    expect(run.error('with a blocking beforeEach > nested > inherits the hook').message).toContain('test/hooks.test.mjs:8:')
    const afterEach = run.errors('with a blocking afterEach > fails through its afterEach hook')
    expect(afterEach[0]?.message).toBe('failed running afterEach hook')
    expect(afterEach.at(-1)?.name).toBe('BlockingIOError')
    expect(afterEach.at(-1)?.message).toMatch(/"with a blocking afterEach > fails through its afterEach hook"[\s\S]*child_process\.execSync[\s\S]*test\/hooks\.test\.mjs:22:/)
    expect(run.passed).toContain('with a blocking before-all hook > is not charged for a before-all hook')
  })

  test('subtests are tests of their own, named after their parents', () => {
    expect(run.error('parent > blocking child').message).toContain('during "parent > blocking child"')
    expect(run.passed).toContain('parent > clean child')
    expect(run.error('parent').message).toBe('1 subtest failed')
    expect(run.error('parent that blocks after its subtests').message).toContain('during "parent that blocks after its subtests"')
    expect(run.passed).toContain('parent that blocks after its subtests > clean child')
  })

  test('tests running concurrently are told apart', () => {
    expect(run.error('concurrent > blocks while the other test runs').message).toContain('test/concurrent.test.mjs:10:')
    expect(run.passed).toContain('concurrent > stays clean while the other test blocks')
  })

  test('allowBlocking() in both forms, and allow rules from configure()', () => {
    for (const name of ['allowBlocking > allows the rest of the test', 'allowBlocking > allows only inside the callback', 'allowBlocking > allows an async callback', 'sync > checks a file with an allowed existsSync', 'sync > reads a fixture allowed by a path rule']) {
      expect(run.passed).toContain(name)
    }
    const message = run.error('allowBlocking > still fails on blocking after the callback').message
    expect(message).toContain('child_process.execSync')
    expect(message).not.toContain('fs.readFileSync')
  })

  test('assertNoBlocking with node:assert, and t.assert.doesNotBlock where node:test can register it', () => {
    expect(run.passed).toEqual(expect.arrayContaining(['assertNoBlocking passes for async code', 'assertNoBlocking fails for blocking code, with node:assert']))
    const assertion = run.error('assertNoBlocking as the failing assertion of a test')
    expect(assertion.name).toBe('AssertionError')
    expect(assertion.message).toMatch(/^Expected fn not to block the event loop, but it made 1 blocking call:\n\s+1\) fs\.readFileSync\(.*\n\s+at readUsers \(src\/app\.js:7:/)
    if (node === 20) return
    const own = run.error('t.assert.doesNotBlock')
    expect(own.name).toBe('AssertionError')
    expect(own.message).toContain('at readUsers (src/app.js:7:')
    // The stack starts at the test's own line, not inside loopcop or node:test.
    expect(own.stack?.split('\n').find((l) => l.trimStart().startsWith('at ') && !l.includes('src/app.js'))).toContain('test/assert.test.mjs:23:')
  })

  test('the run report holds every finding of every test process once, with full test names; leaks are marked and said', () => {
    const reported = run.report?.findings ?? []
    // What the assertions found, and what allowBlocking() allowed, are in the report too: checked apart.
    const assertions = ['assertNoBlocking as the failing assertion of a test', 'assertNoBlocking fails for blocking code, with node:assert', ...(node >= 22 ? ['t.assert.doesNotBlock'] : [])]
    expect(reported.filter((f) => f.scope === 'assertion').map((f) => f.test?.name).sort()).toEqual(assertions)
    expect(reported.filter((f) => f.rule?.startsWith('allowBlocking') === true)).toHaveLength(4)
    const findings = reported.filter((f) => f.scope !== 'assertion' && f.rule?.startsWith('allowBlocking') !== true).map((f) => [f.test?.name, f.operation, f.allowed ? `allowed by ${f.allowedBy}` : `${f.location?.file}:${f.location?.line}`, f.allowed, f.leak])
    expect(findings.sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual(expectedFindings)
    expect(run.report?.summary).toMatchObject({ findings: 15, tests: 15, calls: 17, allowed: 6, assertions: assertions.length })
    expect(run.report?.findings.find((f) => f.leak)?.calls).toBe(3)
    expect(run.report?.findings.find((f) => f.test?.name === 'sync > reads users with readFileSync')?.test?.file).toBe('test/sync.test.mjs')
    const said = 'loopcop (leak): work that "leaves a timer that blocks after it ends" left running blocked the event loop after the test had ended'
    expect(`${run.testStderr}${run.stderr}`).toContain(said)
    // The interval's three calls are said once.
    expect(`${run.testStderr}${run.stderr}`.split(said)).toHaveLength(2)
    // Named once, in that line (not also "during" it), the call under it without a headline counting it again.
    expect(`${run.testStderr}${run.stderr}`).toMatch(/after the test had ended \(too late to fail it; it is in the run report, and later calls from here are counted there, not printed\):\n {2}1\) after its test ended: /)
    expect(run.stderr).toContain('loopcop: 17 blocking calls at 4 call sites in 15 tests')
    expect(run.stderr).toContain('loopcop: JSON report written to reports/')
  })
}
