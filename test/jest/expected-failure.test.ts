// `test.failing`: a test expected to fail passes when it fails, so loopcop failing it for blocking
// would turn a failing test green (as tsdown's `test.fails` tests under Vitest). Such a test is
// checked as `warn` mode checks, and keeps the outcome it has without loopcop.
import { expect, test } from 'vitest'
import { runJest } from './support.js'

test.each(['fail', 'throw'] as const)('mode %s: a test.failing test that blocks keeps its outcome; what it blocked on is said, failing nothing', async (mode) => {
  const run = await runJest('expected-failure', [], { env: { LOOPCOP_MODE: mode } })
  // As without loopcop: the one whose body passed fails ("Failing test passed even though it was supposed to fail"), the other passes.
  expect(run.failed, run.output).toEqual(['[fails] blocks, and its body passes'])
  expect(run.passed).toEqual(['[passes] blocks, and its body fails as expected'])
  expect(run.output).not.toContain('BlockingIOError')
  expect((run.report?.findings ?? []).map((f) => [f.test?.name, f.operation, f.mode]).sort()).toEqual([
    ['[fails] blocks, and its body passes', 'fs.readFileSync', 'warn'],
    ['[passes] blocks, and its body fails as expected', 'fs.readFileSync', 'warn'],
  ])
  expect(run.output).toMatch(/loopcop \(warn\): new call site tests\/failing\.test\.js:\d+:\d+ fs\.readFileSync/)
}, 240_000)
