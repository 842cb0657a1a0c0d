// The CPU time of the calling thread (docs/architecture.md, "stall"). A stall is work the thread
// did without yielding, so the heartbeat's lateness is bounded by what this thread ran — not by
// the process's CPU (`process.cpuUsage()`), which also counts the watchdog, the GC's helpers and,
// under Vitest's `threads` pool, every other test worker.
import fs from 'node:fs'
import type { Guard } from './guard.js'

// Taken when loopcop loads, before its interceptors wrap them (reading /proc is loopcop's own work).
const openSync = fs.openSync
const readSync = fs.readSync

/**
 * The calling thread's CPU time in ms, read the cheapest way this Node and system offer:
 * `process.threadCpuUsage()` (Node ≥ 22.19 / 23.9; ~0.7 µs), else Linux's
 * `/proc/thread-self/schedstat` (nanoseconds on the CPU, exact; ~3–4 µs on Node 20), else the
 * process's CPU time (`kind: 'process'`: other threads count too). One per thread: a `/proc` file
 * descriptor names the thread that opened it.
 */
export class ThreadClock {
  /** What `ms()` reads. */
  readonly kind: 'thread' | 'schedstat' | 'process'
  readonly #guard: Guard
  #fd = -1
  readonly #buf = new Uint8Array(96)

  constructor(guard: Guard) {
    this.#guard = guard
    if (typeof (process as { threadCpuUsage?: unknown }).threadCpuUsage === 'function') this.kind = 'thread'
    else this.kind = this.#open() ? 'schedstat' : 'process'
  }

  #open(): boolean {
    if (process.platform !== 'linux') return false
    try {
      this.#fd = this.#guard.hold(() => openSync('/proc/thread-self/schedstat', 'r'))
      return this.#schedstat() >= 0
    } catch {
      return false
    }
  }

  /** The first field of schedstat: ns this thread spent on a CPU. */
  #schedstat(): number {
    const n = this.#guard.hold(() => readSync(this.#fd, this.#buf, 0, this.#buf.length, 0))
    let ns = 0
    for (let i = 0; i < n; i++) {
      const c = this.#buf[i] as number
      if (c < 48 || c > 57) break
      ns = ns * 10 + (c - 48)
    }
    return ns / 1e6
  }

  /** CPU time used so far (by this thread, unless `kind` is `'process'`), in ms. */
  ms(): number {
    if (this.kind === 'thread') {
      const u = (process as unknown as { threadCpuUsage(): NodeJS.CpuUsage }).threadCpuUsage()
      return (u.user + u.system) / 1000
    }
    if (this.kind === 'schedstat') {
      try {
        return this.#schedstat()
      } catch {
        // fall through: the process's time bounds the thread's from above
      }
    }
    const u = process.cpuUsage()
    return (u.user + u.system) / 1000
  }
}

/**
 * A thread's CPU time, read again only when the last reading is as old as the caller allows (in
 * wall time) or older. A thread cannot have run longer than the wall time since, so a reused reading
 * is behind by less than its `lag`.
 */
export class RecentCpu {
  readonly #clock: Pick<ThreadClock, 'ms'>
  #value = 0
  #at = -Infinity

  constructor(clock: Pick<ThreadClock, 'ms'>) {
    this.#clock = clock
  }

  /**
   * The CPU time in ms at wall time `at` (ms, from the same clock as earlier calls): the last
   * reading when it was taken less than `reuseMs` before `at`, else a new one (`reuseMs: 0`: always).
   */
  at(at: number, reuseMs: number): number {
    if (at >= this.#at && at - this.#at < reuseMs) return this.#value
    this.#at = at
    return (this.#value = this.#clock.ms())
  }

  /** How far (ms) the value `at` gave for wall time `at` may be behind the thread's CPU time then: 0 for a reading taken then. */
  lag(at: number): number {
    return Math.max(0, at - this.#at)
  }
}
