import { beforeAll, describe, expect, test } from 'vitest'
import { type MochaRun, runMocha } from './support.js'

// When a test begins and ends: loopcop wraps a run's tests and hooks once, at its root `beforeAll`,
// instead of running a root `beforeEach` and `afterEach` of its own for every test. A test added
// while the run goes on is still checked, a test's `afterEach` hooks are its own to the last, and
// what comes after them is not.
const runs = [
  { label: 'Mocha 12, serial', args: [], mocha11: false },
  { label: 'Mocha 12, --parallel', args: ['--parallel', '--jobs', '2'], mocha11: false },
  { label: 'Mocha 11, serial', args: [], mocha11: true },
]

describe.each(runs)('$label', ({ label, args, mocha11 }) => {
  let run: MochaRun
  beforeAll(async () => {
    run = await runMocha('lifecycle', args, { name: `lifecycle-${label.replace(/\W+/g, '-')}`, mocha11 })
  }, 240_000)

  /** The operations charged to a test as its own (not work it left running after it ended). */
  const ofTest = (name: string): (string | undefined)[] => (run.report?.findings ?? []).filter((f) => f.test?.name === name && f.leak !== true).map((f) => f.operation)

  test('a test or suite a before hook adds is checked like the others', () => {
    expect(run.failed).toContain('added at run time a test a before hook added blocks')
    expect(run.message('added at run time a test a before hook added blocks')).toContain('fs.readFileSync')
    expect(run.failed).toContain('added at run time a suite a before hook added blocks')
    expect(run.message('added at run time a suite a before hook added blocks')).toContain('fs.statSync')
    expect(run.json.passes.map((p) => p.fullTitle)).toEqual(expect.arrayContaining(['added at run time was there from the start', 'added at run time a test a before hook added passes']))
  })

  test('every afterEach hook of a test is charged to it, sync, done and async; an after-all hook after them is not', () => {
    const name = 'afterEach hooks of three shapes, two suites deep inner passes, its afterEach hooks charged to it'
    expect(run.failed).not.toContain(name)
    expect(ofTest(name).sort()).toEqual(['fs.existsSync', 'fs.readdirSync', 'fs.statSync'])
    expect(run.stderr).toContain(`loopcop: an afterEach hook blocked the event loop after Mocha had reported ${JSON.stringify(name)}`)
    // Mocha runs the after-all hook from a continuation of the async afterEach hook, which it called
    // from the `done` of the one before (loopcop calls it outside the test's scope): not checked, not
    // even as a leak of the test. (On Node 20 and 22 it was one: `AsyncLocalStorage.exit` left the
    // promise Mocha chained on the async hook untracked, and its reaction took the test's scope.)
    expect(run.report?.findings.filter((f) => f.operation === 'fs.lstatSync')).toEqual([])
    expect(run.output).not.toContain('lstatSync')
  })

  test('a test that timed out keeps Mocha’s verdict, and the next one is judged on its own', () => {
    expect(run.message('a test that times out times out')).toMatch(/Timeout of 200ms exceeded/)
    expect(run.message('a test that times out runs next and blocks on its own')).toContain('fs.readFileSync')
    expect(ofTest('a test that times out times out')).toEqual([])
  })

  // typedoc: a test that blocked and ran past its timeout showed only loopcop's error (Mocha names a
  // timeout only for a test that failed with no error).
  test('a test that blocked and ran past its timeout fails with loopcop’s error, which names the timeout', () => {
    const message = run.message('a test that times out blocks and runs past its timeout')
    expect(message).toContain('fs.readFileSync')
    expect(message).toMatch(/\(It also ran past Mocha's timeout: \d{3,} ms of 50\. Mocha names a timeout only for a test that failed with no error\.\)/)
  })

  test('no beforeEach or afterEach hook of loopcop’s is on the root suite, and no listener on any suite', () => {
    expect(run.failed).not.toContain('the root suite has no beforeEach or afterEach hook of loopcop’s')
    // Nor a listener on any suite (under Mocha 11 it gave each an own `_events`): what Mocha
    // announces is heard through the suites' prototype.
    expect(run.failed).not.toContain('the root suite and no listener of loopcop’s on any suite')
    expect(run.json.stats).toMatchObject({ tests: 10, failures: 5 })
  })
})
