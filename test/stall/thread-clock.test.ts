// The CPU time the stall monitor bounds a stall with (src/runtime/thread-clock.ts).
import { describe, expect, test } from 'vitest'
import { Guard } from '../../src/runtime/guard.js'
import { RecentCpu, ThreadClock } from '../../src/runtime/thread-clock.js'

/** A clock that counts its readings and answers what the test says. */
function countingClock(): { clock: { ms(): number }; readings: () => number; set(ms: number): void } {
  let readings = 0
  let value = 0
  return {
    clock: {
      ms() {
        readings++
        return value
      },
    },
    readings: () => readings,
    set(ms) {
      value = ms
    },
  }
}

describe("this thread's CPU time", () => {
  test('a reading less than the reuse window old serves again; an older one, or a wall clock gone back, is read anew', () => {
    const c = countingClock()
    const recent = new RecentCpu(c.clock, 1)
    c.set(10)
    expect(recent.at(100)).toBe(10)
    c.set(10.4)
    // 0.6 ms of wall time later: this thread cannot have run more than that since, the reading stands.
    expect(recent.at(100.6)).toBe(10)
    expect(c.readings()).toBe(1)
    // 1 ms or more after the reading: read again.
    expect(recent.at(101)).toBe(10.4)
    expect(c.readings()).toBe(2)
    c.set(11)
    expect(recent.at(100.5)).toBe(11)
    expect(c.readings()).toBe(3)
  })

  test("the thread's clock moves with work on this thread, and never backwards", () => {
    const clock = new ThreadClock(new Guard())
    const start = clock.ms()
    const t0 = performance.now()
    let n = 0
    while (performance.now() - t0 < 30) n += Math.sqrt(n + 1)
    const after = clock.ms()
    expect(n).toBeGreaterThan(0)
    expect(after).toBeGreaterThan(start)
    expect(clock.ms()).toBeGreaterThanOrEqual(after)
  })
})
