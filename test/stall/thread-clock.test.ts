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
  test('a reading less than the reuse window old serves again, with how far it may be behind; an older one, a wall clock gone back, or no window, is read anew', () => {
    const c = countingClock()
    const recent = new RecentCpu(c.clock)
    c.set(10)
    expect(recent.at(100, 1)).toBe(10)
    expect(recent.lag(100)).toBe(0)
    c.set(10.4)
    // 0.6 ms of wall time later: this thread cannot have run more than that since, the reading stands.
    expect(recent.at(100.6, 1)).toBe(10)
    expect(recent.lag(100.6)).toBeCloseTo(0.6)
    expect(c.readings()).toBe(1)
    // 1 ms or more after the reading: read again.
    expect(recent.at(101, 1)).toBe(10.4)
    expect(recent.lag(101)).toBe(0)
    expect(c.readings()).toBe(2)
    // A wider window (the caller's choice) serves it longer; none reads every time.
    c.set(10.9)
    expect(recent.at(108, 10)).toBe(10.4)
    expect(recent.lag(108)).toBe(7)
    expect(recent.at(108, 0)).toBe(10.9)
    expect(c.readings()).toBe(3)
    c.set(11)
    expect(recent.at(100.5, 10)).toBe(11)
    expect(recent.lag(100.5)).toBe(0)
    expect(c.readings()).toBe(4)
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
