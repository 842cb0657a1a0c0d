// `test.fails`: a test expected to fail passes when it fails, so loopcop failing it for blocking
// would turn a failing test green (tsdown). Such a test is checked as `warn` mode checks, and keeps
// the outcome it has without loopcop.
import { afterAll, expect, test } from 'vitest'
import { cleanRuns, names, runFixture } from './support.js'

afterAll(cleanRuns)

test.each(['fail', 'throw'] as const)('mode %s: a test.fails test that blocks keeps its outcome; what it blocked on is said, failing nothing', async (mode) => {
  const run = await runFixture(['test/expected-failure.test.ts'], { env: { LOOPCOP_MODE: mode }, report: true })
  // As without loopcop: the one whose body passed fails ("Expect test to fail"), the other passes.
  expect(names(run, 'failed'), run.result.output).toEqual(['[fails] blocks, and its body passes'])
  expect(names(run, 'passed')).toEqual(['[passes] blocks, and its body fails as expected'])
  expect(run.tests.find((t) => t.status === 'failed')?.failure).not.toContain('BlockingIOError')
  const findings = run.report?.findings ?? []
  expect(findings.map((f) => [f.test?.name, f.operation, f.mode]).sort()).toEqual([
    ['[fails] blocks, and its body passes', 'fs.readFileSync', 'warn'],
    ['[passes] blocks, and its body fails as expected', 'fs.readFileSync', 'warn'],
  ])
  expect(run.result.output).toMatch(/loopcop \(warn\): new call site src\/app\.ts:\d+:\d+ fs\.readFileSync/)
}, 240_000)
