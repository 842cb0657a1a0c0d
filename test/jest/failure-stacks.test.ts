import { beforeAll, describe, expect, test } from 'vitest'
import { loopcopFrame } from '../helpers/frames.js'
import { type JestRun, runJest } from './support.js'

// Each test runs inside loopcop's scope (a wrapper, AsyncLocalStorage.run): a test that fails shows
// the stack Jest shows without loopcop, with no frame of loopcop's; so does every stack Jest prints
// for a test's console.warn and console.error, and a stack a test prints itself.

let run: JestRun
beforeAll(async () => {
  run = await runJest('fails')
}, 240_000)

describe('a failing test’s stack', () => {
  test('holds the test’s own frames and none of loopcop’s: thrown, rejected before and after an await', () => {
    expect(run.failed).toEqual(['rejects after it awaits', 'rejects before it awaits', 'throws'])
    for (const name of run.failed) {
      const [message] = run.test(name).failureMessages
      // The assertion inside check() (line 5), however the formatter names the frame.
      expect(message, name).toMatch(/\n\s+at .*tests\/fails\.test\.js:5:\d+\)/)
      expect(message, name).not.toMatch(loopcopFrame)
    }
  })
})

describe('the stacks Jest prints for what a test logs', () => {
  test('hold the test’s own frames, then Jest’s, and none of loopcop’s', () => {
    expect(run.passed).toEqual(['logs after it awaits', 'logs before it awaits', 'prints the stack of an error it made'])
    // Where each warning and error was logged from (the helper's line, then the test's), as Jest
    // prints it for console.warn and console.error: loopcop's frames came next, before the await.
    expect(run.output).toMatch(/console\.warn\n\s+warned before an await\n[\s\S]*?\n\s+at .*tests\/console\.test\.js:6:\d+\)\n\s+at .*tests\/console\.test\.js:10:\d+\)\n\n/)
    expect(run.output).toMatch(/console\.error\n\s+logged an error before an await\n[\s\S]*?\n\s+at .*tests\/console\.test\.js:11:\d+\)\n\n/)
    expect(run.output).toMatch(/console\.warn\n\s+warned after an await\n[\s\S]*?\n\s+at .*tests\/console\.test\.js:16:\d+\)\n\n/)
    // A stack the test made and printed: its frame, then Jest's own (jest-circus) below it.
    expect(run.output).toMatch(/Error: made by the test\n\s+at .*tests\/console\.test\.js:20:\d+\)\n\s+at .*jest-circus/)
    expect(run.output).not.toMatch(loopcopFrame)
  })
})
