import fs from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { allowBlocking, detect } from '../../src/index.js'
import { orphanLeaks } from '../helpers/detector.js'
import { defaultsWithoutStalls, delay, here, operationsOf, syncIo, tempDir } from './support.js'

defaultsWithoutStalls()
const dir = tempDir()
const a = join(dir, 'a.txt')
const b = join(dir, 'b.txt')
fs.writeFileSync(a, 'a')
fs.writeFileSync(b, 'b')

/** A promise and its resolve function, to sequence callbacks without relying on timer lengths. */
function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

describe('work started inside detect() is charged to it', () => {
  test('timers, immediates, nextTick, microtasks and promise continuations', async () => {
    const { findings } = await detect(async () => {
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          fs.statSync(a)
          resolve()
        }, 1),
      )
      await new Promise<void>((resolve) =>
        setImmediate(() => {
          fs.lstatSync(a)
          resolve()
        }),
      )
      await new Promise<void>((resolve) =>
        process.nextTick(() => {
          fs.readFileSync(a)
          resolve()
        }),
      )
      await new Promise<void>((resolve) =>
        queueMicrotask(() => {
          fs.existsSync(a)
          resolve()
        }),
      )
      await fs.promises.stat(a)
      fs.readdirSync(dir)
    })
    expect(operationsOf(findings)).toEqual(['fs.existsSync', 'fs.lstatSync', 'fs.readFileSync', 'fs.readdirSync', 'fs.statSync'])
    expect(findings.every((f) => !f.leak && !f.allowed)).toBe(true)
  })

  test('two concurrent detect() calls do not mix their findings', async () => {
    const step = signal()
    const [first, second] = await Promise.all([
      detect(async () => {
        fs.statSync(a)
        await step.promise
        fs.readFileSync(a)
        await delay(1)
        fs.existsSync(a)
      }),
      detect(async () => {
        fs.lstatSync(b)
        step.resolve()
        await delay(1)
        fs.readdirSync(dir)
        await delay(1)
        fs.readFileSync(b)
      }),
    ])
    expect(operationsOf(first.findings)).toEqual(['fs.existsSync', 'fs.readFileSync', 'fs.statSync'])
    expect(operationsOf(second.findings)).toEqual(['fs.lstatSync', 'fs.readFileSync', 'fs.readdirSync'])
    expect(syncIo(first.findings).find((f) => f.operation === 'fs.readFileSync')?.args).toBe(a)
    expect(syncIo(second.findings).find((f) => f.operation === 'fs.readFileSync')?.args).toBe(b)
  })

  test('nested detect(): the inner call’s findings belong to it only', async () => {
    const outer = await detect(async () => {
      fs.lstatSync(a)
      const inner = await detect(async () => {
        await delay(1)
        fs.statSync(a)
      })
      fs.readdirSync(dir)
      return inner
    })
    expect(operationsOf(outer.value.findings)).toEqual(['fs.statSync'])
    expect(operationsOf(outer.findings)).toEqual(['fs.lstatSync', 'fs.readdirSync'])
  })
})

describe('work that outlives its detect() is a leak', () => {
  test('charged to the enclosing live scope, with leak: true', async () => {
    const fired = signal()
    let line = 0
    const outer = await detect(async () => {
      const inner = await detect(() => {
        setTimeout(() => {
          line = here().line + 1
          fs.statSync(a)
          fired.resolve()
        }, 1)
      })
      await fired.promise
      return inner
    })
    // The inner detect() had resolved when the timer fired: nothing was added to its result.
    expect(outer.value.findings).toEqual([])
    expect(outer.findings).toHaveLength(1)
    const [leak] = syncIo(outer.findings)
    expect(leak).toMatchObject({ operation: 'fs.statSync', leak: true, allowed: false, calls: 1, args: a })
    expect(leak!.location?.line).toBe(line)
    expect(outer.blocking).toEqual(outer.findings)
  })

  test('a leak out of a detect() inside allowBlocking(fn) is allowed while fn runs, and charged above once it settled', async () => {
    const during = signal()
    const after = signal()
    const outer = await detect(async () => {
      await allowBlocking(async () => {
        await detect(() => {
          setTimeout(() => {
            fs.statSync(a)
            during.resolve()
          }, 1)
          setTimeout(() => {
            fs.lstatSync(a)
            after.resolve()
          }, 60)
        })
        await during.promise
      })
      await after.promise
    })
    expect(syncIo(outer.findings).map((f) => [f.operation, f.leak])).toEqual([['fs.lstatSync', true]])
  })

  test('judged by the rules of the scope it leaked from', async () => {
    const fired = signal()
    const outer = await detect(async () => {
      await detect(
        () => {
          setTimeout(() => {
            fs.statSync(a)
            fired.resolve()
          }, 1)
        },
        { allow: ['fs.statSync'] },
      )
      await fired.promise
    })
    expect(outer.findings).toHaveLength(1)
    expect(outer.findings[0]).toMatchObject({ operation: 'fs.statSync', leak: true, allowed: true, allowedBy: 'fs.statSync' })
    expect(outer.blocking).toEqual([])
  })

  test('kept in orphanLeaks when no scope is live any more', async () => {
    const fired = signal()
    const known = orphanLeaks.length
    const { findings } = await detect(() => {
      setTimeout(() => {
        fs.readFileSync(b)
        fired.resolve()
      }, 1)
    })
    expect(findings).toEqual([])
    await fired.promise
    const added = orphanLeaks.slice(known)
    expect(added).toHaveLength(1)
    expect(added[0]).toMatchObject({ kind: 'sync-io', operation: 'fs.readFileSync', leak: true, args: b })
  })

  test('aggregates by call site: a leaked loop is one finding counting every call', async () => {
    const fired = signal()
    const outer = await detect(async () => {
      await detect(() => {
        setTimeout(() => {
          for (let i = 0; i < 500; i++) fs.existsSync(a)
          fs.statSync(a)
          fs.statSync(b)
          fired.resolve()
        }, 1)
      })
      await fired.promise
    })
    const leaks = syncIo(outer.findings)
    expect(leaks.every((f) => f.leak)).toBe(true)
    expect(leaks.map((f) => [f.operation, f.calls]).sort()).toEqual([
      ['fs.existsSync', 500],
      ['fs.statSync', 1],
      ['fs.statSync', 1],
    ])
  })

  test('once the scope holding a leak has ended, later calls go on to the next holder', async () => {
    const first = signal()
    const second = signal()
    const known = orphanLeaks.length
    const leakAt = () => {
      for (let i = 0; i < 3; i++) fs.lstatSync(a)
    }
    const outer = await detect(async () => {
      await detect(() => {
        setTimeout(() => {
          leakAt()
          first.resolve()
          setTimeout(() => {
            leakAt()
            leakAt()
            second.resolve()
          }, 1)
        }, 1)
      })
      await first.promise
    })
    const charged = outer.findings.map((f) => f.calls)
    await second.promise
    // What the outer scope returned is not changed afterwards...
    expect(charged).toEqual([3])
    expect(outer.findings.map((f) => f.calls)).toEqual([3])
    // ...the later calls are a leak of their own, and none is lost.
    const added = orphanLeaks.slice(known)
    expect(added.map((f) => [f.kind === 'sync-io' && f.operation, f.calls, f.leak])).toEqual([['fs.lstatSync', 6, true]])
  })
})

