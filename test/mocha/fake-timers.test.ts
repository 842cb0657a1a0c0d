// @sinonjs/fake-timers installed by a test (performance and hrtime faked too) fools neither loopcop's
// clock nor its heartbeat.
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { runMocha } from './support.js'

test('Mocha with @sinonjs/fake-timers: real durations, the stall found, no timer of loopcop among the fakes', async () => {
  const run = await runMocha('faketimers', ['--require', 'loopcop/mocha', '--timeout', '30000', 'test/*.spec.js'], { name: 'fake-timers', env: { LOOPCOP_STALL_MS: '100' } })
  expect(run.failed).toEqual(['under @sinonjs/fake-timers a blocking call is timed in real time'])
  const sleep = run.report?.findings.find((f) => f.operation === 'child_process.execSync')
  expect(sleep?.durationMs).toBeGreaterThan(200)
  const stalls = run.report?.findings.filter((f) => f.kind === 'stall') ?? []
  expect(stalls.map((f) => f.test?.name)).toContain('under @sinonjs/fake-timers a busy loop is a stall')
  expect(join(run.output)).not.toContain('bug in loopcop')
}, 240_000)
