// loopcop's own timers and clocks, taken when loopcop loads: fake-timer libraries (`vi.useFakeTimers`,
// Jest's, `@sinonjs/fake-timers`) replace `setInterval`, `performance.now` and `process.hrtime` on the
// shared objects later. Through these, loopcop's heartbeat is never one of the test's fake timers
// (`vi.getTimerCount()`, `runAllTimers()`), and a blocking call is timed in real time even while a
// test fakes the clock.
import { performance } from 'node:perf_hooks'

const perf = performance
const realNow = perf.now.bind(perf)
const realHrtimeBigint = process.hrtime.bigint.bind(process.hrtime)
const realSetInterval = globalThis.setInterval
const realClearInterval = globalThis.clearInterval
const realSetImmediate = globalThis.setImmediate

/** `performance.now()` as it was when loopcop loaded. */
export function now(): number {
  return realNow()
}

/**
 * Milliseconds of the system's monotonic clock (`process.hrtime`), the one clock every thread of
 * the process reads alike: `performance.now()` counts from each thread's own start, and
 * `performance.timeOrigin` is the wall-clock time of that start, so two threads' sums differ by any
 * step of the wall clock (NTP, a resumed VM) between their starts. The stall watchdog's thread
 * compares a thread's heartbeat with this clock (`monotonicMs` in stall/watchdog-worker.mjs).
 */
export function monotonicNow(): number {
  return Number(realHrtimeBigint()) / 1e6
}

/** `process.hrtime.bigint()` as it was when loopcop loaded. */
export function hrtimeBigint(): bigint {
  return realHrtimeBigint()
}

/** The real `setInterval` (returns Node's `Timeout`). */
export const setRealInterval: typeof setInterval = ((callback: (...args: unknown[]) => void, ms?: number) => realSetInterval(callback, ms)) as typeof setInterval
/** The real `clearInterval`. */
export const clearRealInterval = (timer: ReturnType<typeof setInterval> | undefined): void => realClearInterval(timer)

/** The real `setImmediate`: runs `callback` once the current task (and its microtasks) is done. */
export function setRealImmediate(callback: () => void): void {
  realSetImmediate(callback)
}
