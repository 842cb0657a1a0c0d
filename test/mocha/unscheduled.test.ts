import { describe, expect, test } from 'vitest'
import { runMocha } from './support.js'

// Issue 11, point 3: the heartbeat is judged against the CPU time the main thread used. A process
// stopped for 400 ms (SIGSTOP/SIGCONT: a machine that does not schedule it) while a worker thread
// spins is late on every beat, and that must be no stall; a real one in the same run is one.

describe('a process that is not scheduled', () => {
  test('produces no stall; a busy loop in the same run is one, with its stack', async () => {
    const run = await runMocha('unscheduled', [], { name: 'unscheduled', env: { LOOPCOP_STALL_MS: '' } })
    expect(run.failed).toEqual([])
    const stalls = (run.report?.findings ?? []).filter((f) => f.kind === 'stall')
    expect(stalls.map((s) => s.test?.name)).toEqual(['a process the machine does not run [stalls] crunches numbers'])
    expect(stalls[0]?.stack.join('\n')).toMatch(/crunch \(test\/unscheduled\.spec\.js:\d+:\d+\)/)
  })
})
