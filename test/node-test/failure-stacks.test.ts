import { describe, expect, test } from 'vitest'
import { loopcopFrame } from '../helpers/frames.js'
import { runNodeTest } from './support.js'

// Each test runs inside loopcop's scope (a wrapper, AsyncLocalStorage.run): a test that fails shows
// the stack node:test shows without loopcop, with no frame of loopcop's.

describe('a failing test’s stack', () => {
  test('holds the test’s own frames and none of loopcop’s: thrown, rejected before and after an await, passed to done', async () => {
    const run = await runNodeTest('modes', { name: 'fails', files: ['fails/fails.test.mjs'] })
    expect(run.failed).toEqual(['calls done with an error made in its body', 'rejects after it awaits', 'rejects before it awaits', 'throws'])
    for (const name of run.failed) {
      const stack = run.error(name).stack ?? ''
      expect(stack, name).toMatch(/\n\s+at check \(.*fails\/fails\.test\.mjs:\d+:\d+\)/)
      expect(stack, name).not.toMatch(loopcopFrame)
    }
  })
})
