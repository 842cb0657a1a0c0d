import { describe, expect, test } from 'vitest'
import { loopcopFrame } from '../helpers/frames.js'
import { runMocha } from './support.js'

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
