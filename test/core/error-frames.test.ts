// An error a wrapped call throws keeps the caller's frames (src/runtime/stack-limit.ts): V8 captures
// `Error.stackTraceLimit` frames, and loopcop's own frames between the original and its caller (the
// wrapper; where a call is recorded, `record` and `timed`) would otherwise take the place of the
// caller's own at the bottom of the stack — a test failing on ENOENT would lose the frames that say
// where it came from.
import fs from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { activate, detect, detectSync, markAsBlocking } from '../../src/index.js'
import { defaultsWithoutStalls, delay, tempDir } from './support.js'

defaultsWithoutStalls()
const src = join(fileURLToPath(new URL('../../src/', import.meta.url)))
const missing = join(tempDir('loopcop-frames-'), 'missing', 'file.json')
const LIMIT = 10
let saved: number
beforeEach(() => {
  saved = Error.stackTraceLimit
  Error.stackTraceLimit = LIMIT
})
afterEach(() => {
  Error.stackTraceLimit = saved
})

/** `fn` called 15 of this file's frames deep: deeper than the limit. */
function deep(n: number, fn: () => unknown): unknown {
  return n === 0 ? fn() : deep(n - 1, fn)
}

/** The frames of the error `fn` throws that are not loopcop's own (its sources), and whether it put the limit back. */
function framesOf(fn: () => unknown): { frames: string[]; limit: number } {
  try {
    fn()
  } catch (error) {
    const lines = String((error as Error).stack).split('\n').slice(1)
    return { frames: lines.filter((l) => !l.includes(src)), limit: Error.stackTraceLimit }
  }
  throw new Error('the call did not throw')
}

const stat = (): unknown => fs.statSync(missing)
const read = (): unknown => fs.readFileSync(missing)

describe("an error a wrapped call throws keeps `Error.stackTraceLimit` frames that are not loopcop's", () => {
  test('outside every scope (the wrapper passes the call through)', () => {
    activate()
    for (const call of [stat, read]) expect(framesOf(() => deep(15, call))).toEqual({ frames: expect.any(Array), limit: LIMIT })
    expect(framesOf(() => deep(15, stat)).frames).toHaveLength(LIMIT)
    // readFileSync calls the wrapped openSync: two wrappers on the path.
    expect(framesOf(() => deep(15, read)).frames).toHaveLength(LIMIT)
  })

  test('inside a scope (the call recorded and timed)', () => {
    for (const call of [stat, read]) {
      const { value } = detectSync(() => framesOf(() => deep(15, call)))
      expect(value.frames).toHaveLength(LIMIT)
      expect(value.frames.filter((l) => l.includes('deep'))).not.toHaveLength(0)
      expect(value.limit).toBe(LIMIT)
    }
  })

  test('a marked constructor, called with `new` inside a scope and outside', () => {
    class Store {
      constructor() {
        fs.statSync(missing)
      }
    }
    const holder = { Store }
    const unmark = markAsBlocking(holder, 'Store')
    try {
      const make = (): unknown => new holder.Store()
      expect(framesOf(() => deep(15, make)).frames).toHaveLength(LIMIT)
      expect(detectSync(() => framesOf(() => deep(15, make))).value.frames).toHaveLength(LIMIT)
    } finally {
      unmark()
    }
  })

  test('a call after its scope ended (a leak)', async () => {
    let leaked: { frames: string[]; limit: number } | undefined
    await detect(() => {
      setTimeout(() => {
        Error.stackTraceLimit = LIMIT
        leaked = framesOf(() => deep(15, stat))
      }, 5)
    })
    await delay(50)
    expect(leaked?.frames).toHaveLength(LIMIT)
    expect(leaked?.limit).toBe(LIMIT)
  })

  test('a limit the call itself changes stays as it set it; one that is not a number is left alone', () => {
    const lib = {
      setLimit(): void {
        Error.stackTraceLimit = 3
      },
    }
    const unmark = markAsBlocking(lib, 'setLimit')
    try {
      detectSync(() => lib.setLimit())
      expect(Error.stackTraceLimit).toBe(3)
      Error.stackTraceLimit = LIMIT
      lib.setLimit()
      expect(Error.stackTraceLimit).toBe(3)
    } finally {
      unmark()
    }
    ;(Error as { stackTraceLimit: unknown }).stackTraceLimit = undefined
    detectSync(() => framesOf(() => deep(15, stat)))
    expect(Error.stackTraceLimit).toBeUndefined()
  })
})
