// How `--watch --parallel`'s runs are seen in the main process: `Mocha.prototype.run` wrapped once,
// on a class shaped as Mocha's (the real runs are in watch.test.ts).
import { expect, test } from 'vitest'
import { reportEachRun } from '../../integrations/mocha/parallel-watch.js'

test('each run is told at its start and end, and `run` and its callback keep this, arguments, results, name and length', () => {
  const calls: string[] = []
  class Mocha {
    readonly label = 'a mocha'
    // Mocha's `run(fn)` calls `fn(failures)` once the run ended; here at once, and returns its runner.
    run(fn?: (failures: number, extra?: string) => string, more?: string): { runner: string; more: string | undefined; self: string } {
      calls.push(`run ${typeof fn} ${String(arguments.length)}`)
      const got = fn?.call({ from: 'mocha' }, 3, 'x')
      calls.push(`callback returned ${String(got)}`)
      return { runner: 'r', more, self: this.label }
    }
  }
  const original = Object.getOwnPropertyDescriptor(Mocha.prototype, 'run')
  const wrapped = reportEachRun(Mocha, { began: () => calls.push('began'), ended: (failures) => calls.push(`ended ${String(failures)}`) })
  expect(wrapped).toBe(true)
  const descriptor = Object.getOwnPropertyDescriptor(Mocha.prototype, 'run')
  expect(descriptor?.value).not.toBe(original?.value)
  expect({ ...descriptor, value: undefined }).toEqual({ ...original, value: undefined })
  expect((descriptor?.value as Function).name).toBe('run')
  expect((descriptor?.value as Function).length).toBe(2)

  function onEnd(this: unknown, failures: number, extra?: string): string {
    calls.push(`fn ${String(failures)} ${String(extra)} ${JSON.stringify(this)}`)
    return 'done'
  }
  const result = new Mocha().run(onEnd, 'more')
  expect(result).toEqual({ runner: 'r', more: 'more', self: 'a mocha' })
  expect(calls).toEqual(['began', 'run function 2', 'ended 3', 'fn 3 x {"from":"mocha"}', 'callback returned done'])

  // Without a callback nothing is told, and `run` gets its arguments as given.
  calls.length = 0
  expect(new Mocha().run()).toEqual({ runner: 'r', more: undefined, self: 'a mocha' })
  expect(calls).toEqual(['run undefined 0', 'callback returned undefined'])

  // Once a process: another copy of loopcop/mocha does not wrap it again.
  expect(reportEachRun(Mocha, { began: () => calls.push('again'), ended: () => calls.push('again') })).toBe(false)
})

test('what is not a class with a plain `run` method is left alone', () => {
  expect(reportEachRun(undefined, { began: () => undefined, ended: () => undefined })).toBe(false)
  expect(reportEachRun({ prototype: { run() {} } }, { began: () => undefined, ended: () => undefined })).toBe(false)
  class Frozen {
    run(): void {}
  }
  Object.defineProperty(Frozen.prototype, 'run', { writable: false })
  expect(reportEachRun(Frozen, { began: () => undefined, ended: () => undefined })).toBe(false)
  expect(Object.getOwnPropertyDescriptor(Frozen.prototype, 'run')?.writable).toBe(false)
})
