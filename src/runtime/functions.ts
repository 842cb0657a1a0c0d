// Small helpers about functions and promises, shared by the core and the runner adapters.
import { isPromise } from 'node:util/types'

/** Whether `value` is a promise or another thenable (a promise from another realm included). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

// eslint-disable-next-line @typescript-eslint/unbound-method -- called with the promise as `this`
export const promiseThen = Promise.prototype.then

/**
 * A promise of some realm's own `Promise` (a Jest test file's async function returns its realm's):
 * not a subclass, not a thenable, no own `then` — `then` on it does nothing but add a handler.
 */
export function isNativePromise(value: unknown): value is Promise<unknown> {
  if (!isPromise(value) || Object.hasOwn(value, 'then') || Object.hasOwn(value, 'constructor')) return false
  const proto = Object.getPrototypeOf(value) as object | null
  const base = proto === null ? null : (Object.getPrototypeOf(proto) as object | null)
  return base !== null && Object.getPrototypeOf(base) === null
}

/**
 * Calls `fn` once `value` settles, fulfilled or rejected, when it is a native promise (see
 * `isNativePromise`: adding a handler starts nothing and changes nothing its other handlers see);
 * returns whether it is one. Any other value or thenable: `fn` is not called, and `false`.
 */
export function whenSettled(value: unknown, fn: () => void): boolean {
  if (!isNativePromise(value)) return false
  void promiseThen.call(value, fn, fn)
  return true
}

/**
 * Makes `wrapper` look like `original` to a test runner, and returns it: the same `length` (Jest
 * and Mocha tell a `done`-style test by it) and `name`, plus `extra` properties (markers, a
 * `toString` that shows the original source), none of them enumerable. A wrapper made for every
 * test takes its markers from `defineHidden` instead: an `extra` object with a symbol key, and
 * going through its keys, cost ~4 times the two defines themselves (bench/README.md, "Fortieth pass").
 */
export function keepShape<F extends Function>(wrapper: F, original: Function, extra?: Readonly<Record<PropertyKey, unknown>>): F {
  // A function's own `length` and `name` are already non-writable, non-enumerable and configurable,
  // as defined here: one that holds the original's value already is left as it is. (The runners'
  // wrappers are made per test: each define is ~0.5 µs, and a wrapper's `length` mostly matches.)
  const length = original.length
  if (wrapper.length !== length) Object.defineProperty(wrapper, 'length', { value: length, configurable: true })
  const name = original.name
  if (wrapper.name !== name) Object.defineProperty(wrapper, 'name', { value: name, configurable: true })
  if (extra !== undefined) for (const key of Reflect.ownKeys(extra)) Object.defineProperty(wrapper, key, { value: extra[key as keyof typeof extra], configurable: true })
  return wrapper
}

/**
 * Gives `to` every own property of `from` as `from` has it (its descriptors: `name`, `length`,
 * `prototype`, what was put on it, `fs.realpathSync.native`); one `to` cannot take (a
 * non-configurable property of its own) is left as it is.
 */
export function copyOwnProperties(from: Function, to: Function): void {
  for (const key of Reflect.ownKeys(from)) {
    const descriptor = Object.getOwnPropertyDescriptor(from, key)
    if (descriptor === undefined) continue
    try {
      Object.defineProperty(to, key, descriptor)
    } catch {
      // A non-configurable, non-writable own property of `to` itself: nothing to copy onto.
    }
  }
}

/**
 * Gives `target` an own property `key` holding `value`, as `keepShape` gives its `extra` ones:
 * not enumerable, not writable, configurable. Returns `target`.
 */
export function defineHidden<T extends object>(target: T, key: PropertyKey, value: unknown): T {
  return Object.defineProperty(target, key, { value, configurable: true })
}
