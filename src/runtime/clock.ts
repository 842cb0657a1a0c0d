// loopcop's own timers and clocks, taken when loopcop loads: fake-timer libraries (`vi.useFakeTimers`,
// Jest's, `@sinonjs/fake-timers`) replace `setInterval`, `performance.now` and `process.hrtime` on the
// shared objects later. Through these, loopcop's heartbeat is never one of the test's fake timers
// (`vi.getTimerCount()`, `runAllTimers()`), and a blocking call is timed in real time even while a
// test fakes the clock.
import { performance } from 'node:perf_hooks'

const perf = performance
const realNow = perf.now.bind(perf)
// Read once: a getter that asks Node's binding each time (~0.7 µs on Node 20), for a value that
// never changes in a thread (a worker thread has its own, read when loopcop loads there).
const timeOrigin = perf.timeOrigin
const realHrtimeBigint = process.hrtime.bigint.bind(process.hrtime)
const realSetInterval = globalThis.setInterval
const realClearInterval = globalThis.clearInterval

/** `performance.now()` as it was when loopcop loaded. */
export function now(): number {
  return realNow()
}

/** `performance.timeOrigin + performance.now()`: milliseconds since the epoch, in real time. */
export function wallNow(): number {
  return timeOrigin + realNow()
}

/** `process.hrtime.bigint()` as it was when loopcop loaded. */
export function hrtimeBigint(): bigint {
  return realHrtimeBigint()
}

/** The real `setInterval` (returns Node's `Timeout`). */
export const setRealInterval: typeof setInterval = ((callback: (...args: unknown[]) => void, ms?: number) => realSetInterval(callback, ms)) as typeof setInterval
/** The real `clearInterval`. */
export const clearRealInterval = (timer: ReturnType<typeof setInterval> | undefined): void => realClearInterval(timer)
