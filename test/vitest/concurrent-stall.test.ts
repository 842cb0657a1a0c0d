// Issue 11: a stall while two tests run at the same time (describe.concurrent) is never dropped,
// and is charged to the test that stalled. The watchdog's probe runs on top of the stalled code and
// reads its scope — on the main thread of a fork, and in a worker thread (`threads`, `vmThreads`)
// through the main thread's inspector, which relays the probe to the worker. (The sampling profiler,
// the fallback where no relay reaches the worker, gives the stack but not the scope: the stall is
// then reported as not judged, naming both tests.) That the waiting test passes and the stalling
// one fails is what shows the probe reached the stalled worker.
import { afterAll, describe, expect, test } from 'vitest'
import { type Pool, cleanRuns, runFixture } from './support.js'

afterAll(cleanRuns)

const file = 'test/concurrent-stall.test.ts'
const stalling = '[stalls] crunches numbers while the other test waits'
const waiting = '[clean] waits while the other test stalls'
const configure = { FIXTURE_CONFIGURE: JSON.stringify({ stallMode: 'fail' }) }

describe.each<Pool>(['forks', 'threads', 'vmThreads'])('a stall beside a concurrent test, pool %s', (pool) => {
  test('charged to the test that stalled, judged by its stack at the loop; the waiting test passes', async () => {
    const run = await runFixture([file], { pool, report: true, env: configure })
    const stalls = (run.report?.findings ?? []).filter((f) => f.kind === 'stall')
    expect(stalls.map((s) => [s.test?.name.endsWith(stalling), s.unjudged, s.candidates, s.location?.file])).toEqual([[true, undefined, undefined, 'src/stall.ts']])
    // The stalled frame, source-mapped to the TypeScript source by the runner: crunchNumbers' loop.
    expect(stalls[0]!.stack.join('\n')).toMatch(/crunchNumbers \(src\/stall\.ts:(3[6-9]|4[0-3]):\d+\)/)
    expect(run.tests.map((t) => [t.name.split(' > ').at(-1), t.status]).sort()).toEqual([
      [waiting, 'passed'],
      [stalling, 'failed'],
    ])
    expect(run.report?.summary).toMatchObject({ unjudgedStalls: 0 })
  }, 240_000)
})
