// Jest's fake timers, modern and legacy, neither see loopcop's heartbeat nor fool its clock.
import { expect, test } from 'vitest'
import { runJest } from './support.js'

test('modern and legacy fake timers', async () => {
  const run = await runJest('faketimers', ['--maxWorkers=2'], { env: { LOOPCOP_STALL_MS: '100' } })
  expect(run.failed).toEqual(['legacy: a blocking call is timed in real time', 'modern: a blocking call is timed in real time'])
  expect(run.passed).toEqual(['legacy: loopcop owns none of the fake timers', 'modern: loopcop owns none of the fake timers'])
  const sleeps = run.report?.findings.filter((f) => f.operation === 'child_process.execSync') ?? []
  expect(sleeps).toHaveLength(2)
  for (const f of sleeps) expect(f.durationMs).toBeGreaterThan(200)
}, 240_000)
