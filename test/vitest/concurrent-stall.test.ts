// Issue 11: a stall while two tests run at the same time (describe.concurrent) is never dropped.
// Under `forks` the probe reads the stalled code's scope: the stall is the stalling test's, judged
// by its stack. Under `threads` only the stack is known: the stall is reported as not judged, with
// both tests named as the ones that could own it, and fails neither.
import { afterAll, describe, expect, test } from 'vitest'
import { cleanRuns, runFixture } from './support.js'

afterAll(cleanRuns)

const file = 'test/concurrent-stall.test.ts'
const stalling = '[stalls] crunches numbers while the other test waits'
const waiting = '[clean] waits while the other test stalls'
const configure = { FIXTURE_CONFIGURE: JSON.stringify({ stallMode: 'fail' }) }

describe('a stall beside a concurrent test', () => {
  test("forks: charged to the test that stalled, at the loop; the waiting test passes", async () => {
    const run = await runFixture([file], { pool: 'forks', report: true, env: configure })
    const stalls = (run.report?.findings ?? []).filter((f) => f.kind === 'stall')
    expect(stalls.map((s) => [s.test?.name.endsWith(stalling), s.unjudged, s.location?.file])).toEqual([[true, undefined, 'src/stall.ts']])
    expect(run.tests.filter((t) => t.status === 'passed').map((t) => t.name)).toEqual([expect.stringContaining(waiting)])
  }, 240_000)

  test('threads: reported, not judged, naming both tests; neither fails', async () => {
    const run = await runFixture([file], { pool: 'threads', report: true, env: configure })
    const stalls = (run.report?.findings ?? []).filter((f) => f.kind === 'stall')
    expect(stalls).toHaveLength(1)
    const stall = stalls[0]!
    expect(stall.unjudged).toMatch(/^2 tests were running concurrently and any of them could own it/)
    expect(stall.candidates?.map((t) => t.name.split(' > ').at(-1)).sort()).toEqual([waiting, stalling].sort())
    // Sampled in the transformed code, shown in the TypeScript source (source-mapped by the runner):
    // at the loop, or at the function when its own lines were not sampled.
    expect(stall.stack.join('\n')).toMatch(/crunchNumbers \(src\/stall\.ts:(36|4[0-3]):\d+\)/)
    expect(run.tests.map((t) => t.status)).toEqual(['passed', 'passed'])
    expect(run.report?.summary).toMatchObject({ findings: 0, unjudgedStalls: 1 })
    expect(run.result.output).toContain('loopcop: no blocking of the event loop found\n  1 stall not judged (')
  }, 240_000)
})
