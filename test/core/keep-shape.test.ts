import { describe, expect, test } from 'vitest'
import { keepShape } from '../../src/runtime/functions.js'

/** What `Object.defineProperty(f, key, { value, configurable: true })` leaves: a function's own `length` and `name` look the same. */
const fixed = (value: unknown): PropertyDescriptor => ({ value, writable: false, enumerable: false, configurable: true })

describe('keepShape', () => {
  test("a wrapper takes the original's length and name where they differ", () => {
    function original(_a: unknown, _b: unknown): number {
      return 1
    }
    const wrapper = keepShape(function loopcopWrapper(...args: unknown[]) {
      return args.length
    }, original)
    expect(Object.getOwnPropertyDescriptor(wrapper, 'length')).toEqual(fixed(2))
    expect(Object.getOwnPropertyDescriptor(wrapper, 'name')).toEqual(fixed('original'))
  })

  test('a wrapper whose length and name already match keeps them exactly as a define would leave them', () => {
    const original = (_done: unknown): void => {}
    // The same name and length as `original`, made apart.
    const made = { original: (_done: unknown): void => {} }.original
    const wrapper = keepShape(made, original)
    expect(wrapper).toBe(made)
    expect(Object.getOwnPropertyDescriptor(wrapper, 'length')).toEqual(fixed(1))
    expect(Object.getOwnPropertyDescriptor(wrapper, 'name')).toEqual(fixed('original'))
    expect(Reflect.ownKeys(wrapper)).toEqual(Reflect.ownKeys(original))
  })

  test('an anonymous original makes the wrapper anonymous, and extra properties are own, non-enumerable and configurable', () => {
    const marker = Symbol('marker')
    const anonymous = [(): number => 1][0] as () => number
    expect(anonymous.name).toBe('')
    const wrapper = keepShape(function named() {}, anonymous, { toString: () => 'source', [marker]: true })
    expect(wrapper.name).toBe('')
    expect(wrapper.length).toBe(0)
    expect(String(wrapper)).toBe('source')
    expect(Object.getOwnPropertyDescriptor(wrapper, marker)).toEqual({ value: true, writable: false, enumerable: false, configurable: true })
    expect(Object.keys(wrapper)).toEqual([])
  })
})
