import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { loopcopFrame } from '../helpers/frames.js'
import { bins, fixtures, runNode } from '../helpers/run.js'
import { mochaFixtures, runMocha } from './support.js'

// Each test runs inside loopcop's scope (a wrapper, AsyncLocalStorage.run): a test that fails shows
// the stack Mocha shows without loopcop, with no frame of loopcop's.

describe('a failing test’s stack', () => {
  test('holds the test’s own frames and none of loopcop’s: thrown, rejected before and after an await, passed to done (a test’s, a beforeEach hook’s)', async () => {
    const run = await runMocha('fails', [], { name: 'fails' })
    expect(run.failed).toEqual([
      'a failing hook "before each" hook for "never runs"',
      'fails calls done with an error made in its body',
      'fails rejects after it awaits',
      'fails rejects before it awaits',
      'fails throws',
    ])
    for (const failure of run.json.failures) {
      const stack = failure.err.stack ?? ''
      expect(stack, failure.fullTitle).toMatch(/\n\s+at check \(.*test\/fails\.spec\.js:\d+:\d+\)/)
      expect(stack, failure.fullTitle).not.toMatch(loopcopFrame)
    }
  })
})

describe('loopcop’s failure in a spec file named mocha.js', () => {
  // Mocha's stack filter drops every line naming a `…/mocha.js`, the message's lines too: the
  // message must still start the stack, or Mocha prints it twice, the second copy cut.
  test('keeps its message whole at the head of the stack', async () => {
    const run = await runMocha('mocha-named', [], { name: 'mocha-named' })
    expect(run.failed).toEqual(['a spec file named mocha.js reads itself'])
    const err = run.json.failures[0]?.err
    expect(err?.message).toMatch(/fs\.readFileSync\(".*mocha\.js"\) blocked .*\n\s+at .*\(test\/mocha\.js:9:8\)/)
    expect(err?.stack?.startsWith(`BlockingIOError: ${err.message}`), err?.stack).toBe(true)
  })

  test('is printed once, whole, by the spec reporter', async () => {
    const run = await runNode(bins.mocha, ['--reporter', 'spec'], {
      cwd: join(mochaFixtures, 'mocha-named'),
      env: { NODE_PATH: join(fixtures, 'node_modules'), LOOPCOP_STALL_MS: '0', LOOPCOP_TEST_CODE: 'check' },
      timeoutMs: 180_000,
    })
    expect(run.code, run.output).toBe(1)
    expect(run.stdout.match(/BlockingIOError:/g), run.stdout).toHaveLength(1)
    expect(run.stdout).toMatch(/BlockingIOError: 1 blocking operation .*\n.*fs\.readFileSync\(".*mocha\.js"\).*\n\s+at .*\(test\/mocha\.js:9:8\)/)
  })
})
