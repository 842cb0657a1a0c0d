// A debugger attached after start (inspector.open(), SIGUSR1) owns its pauses: the stall watchdog
// must never resume one of its breakpoints.
import { expect, test } from 'vitest'
import { runMocha } from './support.js'

test("the stall watchdog leaves a debugger's breakpoint alone", async () => {
  const run = await runMocha('debugger', ['--require', 'loopcop/mocha', '--timeout', '30000', 'test/*.spec.js'], { name: 'debugger', env: { LOOPCOP_STALL_MS: '100' } })
  expect(run.json.stats).toMatchObject({ tests: 1, passes: 1, failures: 0 })
  expect(run.output).not.toContain('bug in loopcop')
}, 240_000)
