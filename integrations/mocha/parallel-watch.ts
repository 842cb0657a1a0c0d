// Mocha's `--watch --parallel`: the main process makes a `Mocha` for each run (of the class its
// CLI loaded, which watch mode keeps across runs) and calls its `run(fn)`; the workers run the
// tests, and Mocha calls `fn` once they are done, before it says it waits for changes. The global
// teardown comes only when watch mode ends, and no root hook runs in the main process: a run's
// start and end are seen at `run`.
import { keepShape } from '../../src/integration.js'
import { firstInProcess } from '../../src/runner/once.js'

/** What is needed of Mocha's class: a `run(fn)` on its prototype. */
interface MochaClass {
  readonly prototype?: object
}

/** What a run's start and end tell. */
export interface RunHooks {
  /** A run starts: its workers are about to be started (they take the environment as it is now). Never throws. */
  began(): void
  /** A run ended (`failures`: Mocha's count), before Mocha's own callback runs. Never throws. */
  ended(failures: unknown): void
}

/**
 * Has `hooks` told of each run of `mocha` (the running Mocha's class), by wrapping
 * `Mocha.prototype.run` once a process (both builds of loopcop/mocha share it). The wrapper keeps
 * `run`'s `this`, arguments, return value, `name` and `length`, and so does the callback's; a
 * `run` called without a callback is passed through, and so is everything when `run` is not a
 * plain writable method. False when nothing was wrapped.
 */
export function reportEachRun(mocha: unknown, hooks: RunHooks): boolean {
  const proto = typeof mocha === 'function' ? (mocha as MochaClass).prototype : undefined
  if (proto === undefined) return false
  const descriptor = Object.getOwnPropertyDescriptor(proto, 'run')
  if (typeof descriptor?.value !== 'function' || descriptor.writable !== true || descriptor.configurable !== true) return false
  if (!firstInProcess('mocha.parallelWatchRuns')) return false
  const run = descriptor.value as Function
  const wrapped = keepShape(function (this: unknown, ...args: unknown[]): unknown {
    const fn = args[0]
    if (typeof fn !== 'function') return Reflect.apply(run, this, args) as unknown
    hooks.began()
    args[0] = keepShape(function (this: unknown, ...results: unknown[]): unknown {
      hooks.ended(results[0])
      return Reflect.apply(fn, this, results) as unknown
    }, fn)
    return Reflect.apply(run, this, args) as unknown
  }, run)
  Object.defineProperty(proto, 'run', { ...descriptor, value: wrapped })
  return true
}
