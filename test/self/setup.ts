// `npm run test:self` (vitest.self.config.ts): the options every test's loopcop scope opens with,
// whatever configure() calls earlier tests left behind. Listed before `loopcop/vitest`, so this
// aroundEach wraps the one that opens the test's scope: the scope takes SELF, then the first
// beforeEach puts back what the test would have seen, so the suite's own detect() calls and
// configure() assertions run as in `npm test`.
import { aroundEach, beforeEach } from 'vitest'
import { type UserOptions, configure, currentOptions } from '../../src/integration.js'

/** Blocking calls not enforced (the suite makes them on purpose); a stall fails the test. */
const SELF = { mode: 'off', stallMode: 'fail', stallMs: 100 } as const satisfies UserOptions

let before: UserOptions | undefined

aroundEach(async (runTest) => {
  const { mode, stallMode, stallMs } = currentOptions()
  before = { mode, stallMode, stallMs }
  configure(SELF)
  try {
    await runTest()
  } finally {
    // A test that fails before its hooks run must not leave SELF behind for the next one.
    if (before !== undefined) configure(before)
    before = undefined
  }
})

beforeEach(() => {
  if (before !== undefined) configure(before)
  before = undefined
})
