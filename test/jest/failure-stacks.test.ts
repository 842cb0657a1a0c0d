import { describe, expect, test } from 'vitest'
import { loopcopFrame } from '../helpers/frames.js'
import { runJest } from './support.js'

// Each test runs inside loopcop's scope (a wrapper, AsyncLocalStorage.run): a test that fails shows
// the stack Jest shows without loopcop, with no frame of loopcop's.

describe('a failing test’s stack', () => {
  test('holds the test’s own frames and none of loopcop’s: thrown, rejected before and after an await', async () => {
    const run = await runJest('fails')
    expect(run.failed).toEqual(['rejects after it awaits', 'rejects before it awaits', 'throws'])
    for (const name of run.failed) {
      const [message] = run.test(name).failureMessages
      // The assertion inside check() (line 5), however the formatter names the frame.
      expect(message, name).toMatch(/\n\s+at .*tests\/fails\.test\.js:5:\d+\)/)
      expect(message, name).not.toMatch(loopcopFrame)
    }
  })
})
