// Every loader of loopcop's core (both builds' `src/core.js`, in any realm) gets the one evaluation
// of the core bundle the process made (src/runtime/shared-core.ts).
import asyncHooks from 'node:async_hooks'
import { afterEach, describe, expect, test } from 'vitest'
import { sharedCore } from '../../src/runtime/shared-core.js'

const home = asyncHooks as unknown as Record<symbol, unknown>
const keys = (): symbol[] => Object.getOwnPropertySymbols(home).filter((k) => String(k.description).startsWith('loopcop.core:test-'))

afterEach(() => {
  for (const key of keys()) Reflect.deleteProperty(home, key)
})

describe('sharedCore', () => {
  test('evaluates a bundle once: later loaders get the same exports without loading', () => {
    let loads = 0
    const load = (): Record<string, unknown> => ({ n: ++loads })
    const first = sharedCore('/x/dist/cjs/src/core-bundle.js', 'test-1', load)
    const second = sharedCore('/x/dist/cjs/src/core-bundle.js', 'test-1', load)
    expect(second).toBe(first)
    expect(loads).toBe(1)
  })

  test('another install, or another build at the same path, evaluates its own', () => {
    let loads = 0
    const load = (): Record<string, unknown> => ({ n: ++loads })
    const a = sharedCore('/a/dist/cjs/src/core-bundle.js', 'test-1', load)
    const b = sharedCore('/b/dist/cjs/src/core-bundle.js', 'test-1', load)
    const rebuilt = sharedCore('/a/dist/cjs/src/core-bundle.js', 'test-2', load)
    expect(new Set([a, b, rebuilt]).size).toBe(3)
    expect(loads).toBe(3)
  })

  test('a load that throws records nothing: the next loader loads again, as require would', () => {
    expect(() =>
      sharedCore('/x/dist/cjs/src/core-bundle.js', 'test-3', () => {
        throw new Error('broken core')
      }),
    ).toThrow('broken core')
    expect(keys()).toEqual([])
    expect(sharedCore('/x/dist/cjs/src/core-bundle.js', 'test-3', () => ({ ok: true }))).toEqual({ ok: true })
  })

  test('is kept out of sight on node:async_hooks: not enumerable, not writable', () => {
    sharedCore('/x/dist/cjs/src/core-bundle.js', 'test-4', () => ({}))
    const [key] = keys()
    expect(key).toBeDefined()
    expect(Object.keys(asyncHooks)).not.toContain(String(key?.description))
    const descriptor = Object.getOwnPropertyDescriptor(home, key as symbol)
    expect(descriptor).toMatchObject({ enumerable: false, writable: false })
  })
})
