import { describe, expect, test } from 'vitest'
import { runMocha } from './support.js'

// Issue 11's reproduction (test/fixtures/mocha/many-scripts): 20,000 scripts compiled in a
// `before`, then three tests each busy for 150 ms under a 400 ms Mocha timeout. Catching a stall's
// stack must not cost the test anything near the timeout, whatever the number of loaded scripts
// (`Debugger.enable`, which reports each of them, made all three time out).

const titles = ['many loaded scripts busy loop 1', 'many loaded scripts busy loop 2', 'many loaded scripts busy loop 3']
// Stall detection on (runMocha turns it off unless asked), at 10 ms: a loop busy for 150 ms of wall
// time gets more than that of CPU even on a loaded machine, so each loop is a stall whose stack is
// read (a stall is bounded by the CPU time the thread used: with the default 100 ms, a starved
// machine may see none, and the test would prove nothing).
const stallsOn = { LOOPCOP_STALL_MS: '10' }

describe('20,000 loaded scripts, three 150 ms stalls under a 400 ms timeout', () => {
  test('without loopcop, all three pass', async () => {
    const run = await runMocha('many-scripts', [], { name: 'many-scripts-without' })
    expect(run.json.passes.map((p) => p.fullTitle).sort()).toEqual(titles)
    expect(run.failed).toEqual([])
  })

  test.each(['warn', 'fail'])('with loopcop (LOOPCOP_MODE=%s), all three still pass, and every stall reported is the busy loop', async (mode) => {
    const run = await runMocha('many-scripts', ['--require', 'loopcop/mocha'], { name: `many-scripts-${mode}`, env: { ...stallsOn, LOOPCOP_MODE: mode } })
    expect(run.failed).toEqual([])
    expect(run.json.passes.map((p) => p.fullTitle).sort()).toEqual(titles)
    // Each loop is a stall with its stack. On a loaded machine a stall may also be reported not
    // judged (the probe ran after it had ended): it never fails a test, and is not asserted on.
    const stalls = (run.report?.findings ?? []).filter((f) => f.kind === 'stall' && f.unjudged === undefined)
    expect(stalls.length).toBeGreaterThan(0)
    expect(new Set(stalls.map((s) => s.test?.name)).size).toBe(stalls.length)
    for (const s of stalls) {
      expect(titles).toContain(s.test?.name)
      expect(s.location).toMatchObject({ file: 'test/busy.spec.js', line: 13 })
      expect(s.stack.join('\n')).toMatch(/^busyLoop \(test\/busy\.spec\.js:13:\d+\)$/m)
    }
  })
})
