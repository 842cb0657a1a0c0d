// Fake timers (vi.useFakeTimers at the top of a file) neither see loopcop's heartbeat nor fool its clock.
import { afterAll, expect, test } from 'vitest'
import { cleanRuns, names, outcome, runFixture } from './support.js'

afterAll(cleanRuns)

test.each(['forks', 'threads'] as const)('pool %s', async (pool) => {
  const run = await runFixture(['test/fake-timers.test.ts'], { pool, report: true, env: { LOOPCOP_STALL_MS: '100' } })
  expect(names(run, 'failed')).toEqual(['[blocks] a blocking call under fake timers is caught and timed in real time'])
  expect(outcome(run, '[clean] loopcop owns none of the fake timers').status).toBe('passed')
  expect(outcome(run, '[clean] advancing the fake clock by hours runs only the test’s timers').status).toBe('passed')
  const sleep = run.report?.findings.find((f) => f.operation === 'child_process.execSync')
  // `sleep 0.3` blocks ~300 ms of real time; a faked performance.now() would say 0.
  expect(sleep?.durationMs).toBeGreaterThan(200)
  expect(run.report?.findings.filter((f) => f.kind === 'stall' && f.test?.name.includes('[clean]'))).toEqual([])
}, 240_000)
