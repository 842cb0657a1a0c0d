// The copies of fs functions that graceful-fs and fs-extra took before loopcop wrapped fs get the
// wrappers (intercept/fs-copies.ts): a copy of fs's own function the wrapper fs got, a closure of
// graceful-fs's a wrapper of its own (shared with fs-extra's copy of it), and nothing that could
// count a call twice. The runs that reach real copies are in test/mocha/load-order.test.ts.
import { describe, expect, test } from 'vitest'
import { type CachedCopy, type CopyTools, reachFsCopies } from '../../src/intercept/fs-copies.js'
import { catalog } from '../../src/model/operation.js'
import type { Operation } from '../../src/model/operation.js'

const operations = new Map(catalog.filter((s) => s.module === 'fs').map((s) => [s.key, s.operation]))

function readFileSync(): string {
  return 'original'
}
function readFileSyncWrapper(): string {
  return 'wrapped'
}
/** graceful-fs's `statFixSync(fs.statSync)`: a closure over fs's original, made when it loaded. */
function statSync(): string {
  return 'closure'
}

/** Tools that record what was done, with fs's `readFileSync` wrapped. */
function tools(): CopyTools & { readonly wrapped: [string, Operation][] } {
  const wrapped: [string, Operation][] = []
  return {
    wrapped,
    wrappers: new Map<Function, Function>([[readFileSync, readFileSyncWrapper]]),
    use: (target, key, wrapper) => {
      Object.defineProperty(target, key, { ...Object.getOwnPropertyDescriptor(target, key), value: wrapper })
    },
    wrap: (target, key, operation) => {
      const wrapper = function wrapper(): string {
        return `wrapped ${operation.id}`
      }
      Object.defineProperty(target, key, { ...Object.getOwnPropertyDescriptor(target, key), value: wrapper })
      wrapped.push([key, operation])
      return wrapper
    },
  }
}

describe('reachFsCopies', () => {
  test("a copy of fs's own function gets the wrapper fs got; a closure of graceful-fs's, a wrapper of its own as its operation", () => {
    const gracefulFs = { readFileSync, statSync, gracefulify: () => {} }
    const t = tools()
    expect(reachFsCopies([{ pkg: 'graceful-fs', exports: gracefulFs }], operations, t, true)).toBe(2)
    expect(gracefulFs.readFileSync).toBe(readFileSyncWrapper)
    expect(t.wrapped.map(([key, operation]) => [key, operation.id])).toEqual([['statSync', 'fs.statSync']])
    expect(gracefulFs.statSync()).toBe('wrapped fs.statSync')
  })

  test("fs-extra's copies of graceful-fs's functions get graceful-fs's wrappers, the closure's included", () => {
    const gracefulFs = { readFileSync, statSync }
    const fsExtra = { readFileSync, statSync, readJsonSync: () => ({}) }
    const t = tools()
    const copies: CachedCopy[] = [
      { pkg: 'graceful-fs', exports: gracefulFs },
      { pkg: 'fs-extra', exports: fsExtra },
    ]
    expect(reachFsCopies(copies, operations, t, true)).toBe(4)
    expect(fsExtra.readFileSync).toBe(readFileSyncWrapper)
    expect(fsExtra.statSync).toBe(gracefulFs.statSync)
    expect(t.wrapped).toHaveLength(1)
  })

  test('a function of fs-extra that is no copy is left alone: only graceful-fs makes closures over fs', () => {
    const own = function statSync(): string {
      return 'fs-extra'
    }
    const fsExtra = { statSync: own }
    const t = tools()
    expect(reachFsCopies([{ pkg: 'fs-extra', exports: fsExtra }], operations, t, true)).toBe(0)
    expect(fsExtra.statSync).toBe(own)
  })

  test('once fs was wrapped before in the process, a closure is left alone: made over a wrapper, wrapping it would count each call twice', () => {
    const gracefulFs = { readFileSync, statSync }
    const t = tools()
    expect(reachFsCopies([{ pkg: 'graceful-fs', exports: gracefulFs }], operations, t, false)).toBe(1)
    expect(gracefulFs.readFileSync).toBe(readFileSyncWrapper)
    expect(gracefulFs.statSync).toBe(statSync)
    expect(t.wrapped).toHaveLength(0)
  })

  test('a copy made after fs was wrapped (it holds the wrapper) and a frozen property are left alone', () => {
    const gracefulFs = { readFileSync: readFileSyncWrapper }
    Object.defineProperty(gracefulFs, 'statSync', { value: statSync, writable: false, configurable: false, enumerable: true })
    const t = tools()
    expect(reachFsCopies([{ pkg: 'graceful-fs', exports: gracefulFs }], operations, t, true)).toBe(0)
    expect(gracefulFs.readFileSync).toBe(readFileSyncWrapper)
    expect((gracefulFs as { statSync?: unknown }).statSync).toBe(statSync)
    expect(t.wrapped).toHaveLength(0)
  })
})
