/**
 * Busy-works until `ms` of CPU time have been used and `ms` have passed: the shape of a real stall
 * (a fixed amount of work). CPU-bounded, it neither shrinks when the watchdog holds the thread nor
 * grows into a false stall when the machine is short of CPU; wall-bounded too, because process
 * CPU time also counts other threads (the watchdog starting, the GC's helpers).
 */
export function spinCpu(ms: number): number {
  const start = process.cpuUsage()
  const t0 = performance.now()
  let n = 0
  for (;;) {
    for (let i = 0; i < 1000; i++) n += Math.sqrt(i) // the stalled lines: 12-14
    const used = process.cpuUsage(start)
    if ((used.user + used.system) / 1000 >= ms && performance.now() - t0 >= ms) return n
  }
}

/** The file `spinCpu` lives in, for assertions on a stall's location. */
export const spinFile: string = import.meta.filename
