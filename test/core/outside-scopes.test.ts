// `outsideScopes(fn)`: nothing `fn` does, nor what it starts, belongs to a scope — also when `fn`
// enters a scope of its own and chains on what that returned. That is what happens when Mocha's
// `done`, which loopcop calls outside the test's scope, runs the next hook, an `async` one that
// loopcop runs in the test's scope, and Mocha chains its next step (the suite's `after` hook) on
// the promise it returned. On Node 20 and 22 `AsyncLocalStorage.exit` turned the promise hooks off,
// the nested `run` turned them on again, and the chained step took the store of the callback
// around it: the test's (test/mocha/lifecycle.test.ts has the whole case).
import fs from 'node:fs'
import { expect, test } from 'vitest'
import { Detector } from '../../src/detector.js'
import type { Scope } from '../../src/accounting/scope.js'
import { VERSION } from '../../src/version.js'

test('a step chained inside outsideScopes on a promise made in a nested scope runs in no scope, and its blocking call is no one’s', async () => {
  const detector = new Detector({ version: VERSION })
  detector.configure({ stallMs: 0, mode: 'warn', testCode: 'check' })
  try {
    const testScope = detector.openScope('detect')
    const tail = detector.openScope('detect')
    const seen = await new Promise<{ chained: Scope | undefined; nested: Scope | undefined }>((resolve) => {
      detector.runInScope(testScope, () => {
        // A callback the test started, as the `setImmediate` a `done`-style hook calls `done` from.
        setImmediate(() => {
          detector.outsideScopes(() => {
            let nested: Scope | undefined
            const returned = detector.runInScope(tail, async () => {
              await null
              nested = detector.currentScope()
            })
            void returned.then(() => {
              fs.statSync('.')
              resolve({ chained: detector.currentScope(), nested })
            })
          })
        })
      })
    })
    // The nested scope is still where its own function runs …
    expect(seen.nested).toBe(tail)
    // … and what is chained on it outside runs outside, as does the blocking call it makes.
    expect(seen.chained).toBeUndefined()
    expect(detector.closeScope(testScope)).toEqual([])
    expect(detector.closeScope(tail)).toEqual([])
  } finally {
    detector.uninstall()
  }
})
