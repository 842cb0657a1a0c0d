// Small helpers about functions and promises, shared by the core and the runner adapters.

/** Whether `value` is a promise or another thenable (a promise from another realm included). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

/**
 * Makes `wrapper` look like `original` to a test runner, and returns it: the same `length` (Jest
 * and Mocha tell a `done`-style test by it) and `name`, plus `extra` properties (markers, a
 * `toString` that shows the original source), none of them enumerable.
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
