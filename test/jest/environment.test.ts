import { beforeAll, describe, expect, test } from 'vitest'
import { basicFailing } from './expected.js'
import { type JestRun, runJest } from './support.js'

// The `basic` fixture (CommonJS, Jest's default babel-jest transform) with
// `testEnvironment: 'loopcop/jest/environment'`, run by the real jest with two workers.
describe('loopcop/jest/environment', () => {
  let run: JestRun
  beforeAll(async () => {
    run = await runJest('basic', ['--maxWorkers=2'])
  })

  test('the failing tests are exactly the blocking ones', () => {
    expect(run.json.numRuntimeErrorTestSuites).toBe(0)
    expect(run.failed).toEqual([...basicFailing].sort())
    expect(run.passed).toEqual(
      expect.arrayContaining([
        'reads users asynchronously',
        'done callback that stays async',
        'allowBlocking() for the rest of the test',
        'allowBlocking(fn) only inside fn',
        'allow rules from testEnvironmentOptions',
        'lazy require inside the test',
        'concurrent: clean one',
        'concurrent: clean two',
        'snapshot of the users',
        'inline snapshot of the users',
        'retry: blocks only on the first try',
        'retry: done callback, clean',
        'throw mode: clean test',
        'warn mode: blocking is printed, the test passes',
        'leak: leaves a timer that blocks after the test ended',
        'leak: the next test is not charged for it',
        // Its file's require('loopcop') fails the file if it evaluates loopcop's core again.
        'shared core: a test file uses the core the environment loaded',
      ]),
    )
  })

  test('a failure names the operation, its argument, the time, the alternative and the source line', () => {
    const [message] = run.test('reads users synchronously').failureMessages
    expect(message).toMatch(/^BlockingIOError: 1 blocking operation on the event loop during "reads users synchronously"(?: \(and [^)]* not judged\))?\n {2}1\) fs\.readFileSync\(".*data\/users\.json"\) blocked [\d.]+ ms — use fs\.promises\.readFile\n/)
    expect(message).toContain('src/handlers.js:9:24')
    // The error's stack is the culprit's, with absolute paths: Jest shows the code frame there.
    expect(message).toMatch(/\n {4}at .*\/basic\/src\/handlers\.js:9:24\)?\n/)
    expect(run.output).toMatch(/> {1,2}9 \| {3}return JSON\.parse\(fs\.readFileSync/)
    const [shell] = run.test('shells out').failureMessages
    expect(shell).toContain('child_process.execSync("node --version") blocked')
    expect(shell).toContain('use child_process.exec (promisified) instead')
    expect(shell).toContain('src/handlers.js:13:10')
  })

  test('the frames listed in a message do not read as a stack to Jest', () => {
    const [message] = run.test('reads users synchronously').failureMessages
    const head = message!.split('Allow it with allowBlocking()')[0]!
    expect(head).not.toMatch(/^\s+at /m)
    expect(head).toMatch(/^\s+in .*src\/handlers\.js:9:24\)?$/m)
  })

  test('work a test starts (timers, done callbacks) is charged to that test', () => {
    expect(run.test('blocks in a timer it started').failureMessages[0]).toContain('during "blocks in a timer it started"')
    expect(run.test('done callback that blocks').failureMessages[0]).toContain('during "done callback that blocks"')
    expect(run.test('done callback that stays async').status).toBe('passed')
  })

  test('test.concurrent: only the blocking test fails', () => {
    expect(run.test('concurrent: blocks while others are in flight').failureMessages[0]).toContain('fs.readFileSync')
    expect(run.test('concurrent: clean one').status).toBe('passed')
    expect(run.test('concurrent: clean two').status).toBe('passed')
  })

  test("the user's beforeEach/afterEach hooks count as part of each test; beforeAll/afterAll are not checked", () => {
    for (const name of ['clean test between blocking hooks', 'blocking test between blocking hooks']) {
      const [message] = run.test(name).failureMessages
      expect(message, name).toMatch(/^BlockingIOError: \d blocking operations .*during "[^"]+"/)
      // beforeEach writes the state file from loadUsers() (readFileSync), afterEach removes it.
      for (const op of ['fs.writeFileSync', 'fs.readFileSync', 'fs.unlinkSync']) expect(message, `${name}: ${op}`).toContain(`${op}(`)
      // beforeAll's mkdtempSync and afterAll's rmSync belong to no test.
      expect(message, name).not.toMatch(/mkdtempSync|rmSync/)
    }
    expect(run.test('blocking test between blocking hooks').failureMessages[0]).toContain('fs.statSync(')
    expect(run.test('clean test between blocking hooks').failureMessages[0]).not.toContain('fs.statSync(')
  })

  test('jest.retryTimes: each try is judged on its own, and the test function is wrapped once', () => {
    expect(run.test('retry: blocks only on the first try')).toMatchObject({ status: 'passed', invocations: 2 })
    const always = run.test('retry: blocks on every try')
    expect(always).toMatchObject({ status: 'failed', invocations: 3 })
    expect(always.failureMessages).toHaveLength(1)
    expect(always.failureMessages[0]).toMatch(/^BlockingIOError: 1 blocking operation/)
    expect(run.test('retry: done callback, clean')).toMatchObject({ status: 'passed', invocations: 1 })
  })

  test('snapshot checks and a lazy require (read, transformed, cached by Jest) produce no finding', () => {
    const names = new Set(run.report?.findings.map((f) => f.test?.name))
    for (const name of ['snapshot of the users', 'inline snapshot of the users', 'lazy require inside the test']) {
      expect(run.test(name).status).toBe('passed')
      expect(names.has(name)).toBe(false)
    }
  })

  test('allowBlocking(), allowBlocking(fn) and allow rules from testEnvironmentOptions', () => {
    expect(run.test('allowBlocking() for the rest of the test').status).toBe('passed')
    expect(run.test('allowBlocking(fn) only inside fn').status).toBe('passed')
    expect(run.test('allowBlocking(fn) then blocking outside it').failureMessages[0]).toMatch(/^BlockingIOError: 1 blocking operation/)
    expect(run.test('allow rules from testEnvironmentOptions').status).toBe('passed')
    const allowed = run.report?.findings.filter((f) => f.allowed).map((f) => [f.operation, f.allowedBy])
    // In the order the tests ran. What allowBlocking() allowed is in the report too, with the rule.
    expect(allowed).toEqual([
      ['fs.readFileSync', 'allowBlocking()'],
      ['fs.readFileSync', 'allowBlocking(fn)'],
      ['fs.readFileSync', 'allowBlocking(fn)'],
      ['fs.accessSync', 'fs.accessSync'],
      ['fs.readFileSync', '{"operation":"fs.readFileSync","path":"**/data/allowed.json"}'],
    ])
  })

  test('`@loopcop-mode warn` in a docblock: printed with the test file, the test passes', () => {
    expect(run.test('warn mode: blocking is printed, the test passes').status).toBe('passed')
    expect(run.output).toMatch(/console\.warn\n\s+loopcop \(warn\): new call site src\/handlers\.js:\d+:\d+ fs\.readFileSync\(.*\) blocked [\d.]+ ms — use fs\.promises\.readFile \(in "warn mode: blocking is printed, the test passes"; /)
  })

  test('`@loopcop-mode throw`: the call throws where it is made, and a swallowed refusal still fails', () => {
    const [thrown] = run.test('throw mode: the blocking call throws').failureMessages
    expect(thrown).toContain('refused before it ran (mode: throw)')
    expect(thrown).not.toContain('not reached')
    // Raised at the call, the error reaches Jest as the code threw it: its frame lines read `in …`
    // too, or Jest would take the first for the stack, cut the message there and show no code frame.
    const message = thrown?.split(/\n\s+at /)[0] ?? ''
    expect(message).toMatch(/\n\s+in loadUsers \(src\/handlers\.js:\d+:\d+\)/)
    expect(message).toContain('Allow it with allowBlocking() in the test')
    expect(run.test('throw mode: a swallowed refusal still fails the test').failureMessages[0]).toContain('refused before it ran (mode: throw)')
    expect(run.test('throw mode: clean test').status).toBe('passed')
  })

  test('blocking after the test ended is printed once a call site and reported as a leak of that test, every call counted, never charged to the next', () => {
    expect(run.test('leak: leaves a timer that blocks after the test ended').status).toBe('passed')
    expect(run.test('leak: the next test is not charged for it').status).toBe('passed')
    const said = 'loopcop (leak): work that "leak: leaves a timer that blocks after the test ended" left running blocked the event loop after the test had ended'
    expect(run.output).toContain(said)
    // The interval blocked three times: said once, with where the later calls go, the test named
    // once (not also "during" it, beside "after the test had ended").
    expect(run.output.split(said)).toHaveLength(2)
    expect(run.output).toMatch(/after the test had ended \(too late to fail it; it is in the run report, and later calls from here are counted there, not printed\):\n\s*1\) after its test ended: /)
    const leaks = run.report?.findings.filter((f) => f.leak) ?? []
    expect(new Set(leaks.map((f) => f.test?.name))).toEqual(new Set(['leak: leaves a timer that blocks after the test ended']))
    expect(leaks.reduce((n, f) => n + f.calls, 0)).toBe(3)
    // Too late to fail anything (fail mode): recorded as warned, so no summary or annotation calls it a failure.
    expect(new Set(leaks.map((f) => f.mode))).toEqual(new Set(['warn']))
  })
})

describe('configuration of the environment', () => {
  // The `configure` fixture: a.test.js configures at its top level, b.test.js runs after it in the
  // same worker (a sequencer sorts the files by name).
  test("one worker, two files: a test file's top-level configure() ends with the file; a setup file's holds for each", async () => {
    const run = await runJest('configure', ['--runInBand'])
    expect(run.passed).toEqual(['[clean] reads what its top-level configure() allows'])
    expect(run.failed).toEqual(['[blocks] reads what nothing here allows'])
    expect(run.test('[blocks] reads what nothing here allows').failureMessages.join('\n')).toContain('fs.readFileSync(')

    const fromSetup = await runJest('configure', ['--runInBand'], { env: { FIXTURE_SETUP_ALLOWS: '1' } })
    expect(fromSetup.failed).toEqual([])
    expect(fromSetup.passed).toHaveLength(2)
  })

  test('LOOPCOP_MODE wins over testEnvironmentOptions and docblock pragmas', async () => {
    const run = await runJest('basic', ['--maxWorkers=1', 'tests/throw', 'tests/handlers', '-t', 'swallowed|reads users synchronously'], { env: { LOOPCOP_MODE: 'warn' } })
    expect(run.failed).toEqual([])
    expect(run.passed).toEqual(['reads users synchronously', 'throw mode: a swallowed refusal still fails the test'])
    // Both tests call loadUsers in one worker: its line is printed once, by the first.
    const lines = run.output
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith('loopcop (warn):'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^loopcop \(warn\): new call site src\/handlers\.js:\d+:\d+ fs\.readFileSync\(.*\) blocked [\d.]+ ms — use fs\.promises\.readFile \(in "(reads users synchronously|throw mode: a swallowed refusal still fails the test)"; /)
    // Jest's console shows where a line was printed from: for loopcop's lines, nothing (they name
    // the call site themselves), where it showed a dozen of loopcop's own frames.
    const block = run.output.slice(run.output.indexOf('loopcop (warn): new call site'))
    const after = block.split('\n').slice(1, 4).join('\n')
    expect(after).not.toMatch(/\bat .*(loopcop|environment\.js|core\.js)/)
    expect(run.output).not.toContain('LoopcopEnvironment')
  })

  test('a wrong option fails the test file with a message naming it', async () => {
    const run = await runJest('basic', ['--maxWorkers=1', 'tests/warn', '--testEnvironmentOptions', JSON.stringify({ loopcop: { mode: 'loud' } })])
    expect(run.json.numRuntimeErrorTestSuites).toBe(1)
    expect(run.json.testResults[0]?.message).toContain("loopcop: invalid testEnvironmentOptions.loopcop in the Jest config: Expected `mode` to be one of 'fail', 'throw', 'warn', 'off', got `\"loud\"` (string)")
  })
})
