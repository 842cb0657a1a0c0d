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
export function keepShape<F extends Function>(wrapper: F, original: Function, extra: Readonly<Record<PropertyKey, unknown>> = {}): F {
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true })
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true })
  for (const key of Reflect.ownKeys(extra)) Object.defineProperty(wrapper, key, { value: extra[key as keyof typeof extra], configurable: true })
  return wrapper
}
