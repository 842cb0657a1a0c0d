/**
 * When Vite's module runner ends evaluating a module. A test's `await import()` of a module not
 * loaded yet has the module runner evaluate it, and its top-level code runs in the same stretch of
 * the loop as the test's code after the import. loopcop's loading clock cannot time that evaluation
 * as it times `require` (it is asynchronous: the module's code runs once its own imports have
 * loaded), and a watchdog that looked only after it (short of CPU on a busy machine) charged the
 * test the loading too: a 150 ms module before 300 ms of the test's own work was a 588 ms stall.
 *
 * Vitest records each evaluation as it ends in its worker state's `moduleExecutionInfo` (a `Map` it
 * sets as each inlined or external module's evaluation settles, with the time it took: Vitest 4
 * and 5): that `set` tells the stall monitor, which leaves the evaluation out of the stretch that
 * ends there and starts the next (`StallMonitor.evaluated`).
 * @module
 */
import { moduleEvaluated, reportInternalError } from '../../src/integration.js'

const WATCHED = Symbol.for('loopcop.vitest.evaluations')

interface WorkerState {
  readonly moduleExecutionInfo?: unknown
}

/**
 * The wall time a module's evaluation took of its own, in ms, from what Vitest records of it
 * (`selfTime`: its `duration` less its imports' evaluations, told apart as each ended); 0 when not told.
 */
function ownTime(info: unknown): number {
  if (typeof info !== 'object' || info === null) return 0
  const { selfTime, duration } = info as { selfTime?: unknown; duration?: unknown }
  const ms = typeof selfTime === 'number' ? selfTime : typeof duration === 'number' ? duration : 0
  return Number.isFinite(ms) && ms > 0 ? ms : 0
}

/**
 * Watches the ends of module evaluations in this worker (once per `Map`: a worker without isolation
 * keeps one for all its files). Where Vitest keeps no such map (another version), nothing changes:
 * the stack the watchdog reads still tells a probe in the module runner as loading.
 */
export function watchModuleEvaluations(): void {
  try {
    const state = (globalThis as { __vitest_worker__?: WorkerState }).__vitest_worker__
    const info = state?.moduleExecutionInfo
    if (typeof info !== 'object' || info === null || WATCHED in info) return
    const original: unknown = (info as { set?: unknown }).set
    if (typeof original !== 'function') return
    Object.defineProperties(info, {
      [WATCHED]: { value: true, configurable: true },
      set: {
        value: function set(this: unknown, ...args: unknown[]): unknown {
          // Told first: whatever the map does after is Vitest's own work, not the test's.
          try {
            moduleEvaluated(ownTime(args[1]))
          } catch (error) {
            reportInternalError(error, 'as Vite ended evaluating a module')
          }
          return Reflect.apply(original, this, args) as unknown
        },
        configurable: true,
        writable: true,
      },
    })
  } catch (error) {
    reportInternalError(error, 'in the Vitest setup file, watching module evaluations')
  }
}
