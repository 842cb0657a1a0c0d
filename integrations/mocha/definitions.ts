// Files that define tests, under Mocha (for the "test code" rule): a spec file may load other files
// that call `it` themselves (js-yaml's `test/30-issues.js` requires `test/issues/*.js`; socket.io's
// `test/index.ts` imports every other test file), and Mocha names every test by the spec file being
// loaded. The file a test is written in is found where it is defined: Mocha's interfaces assign their
// test functions (`it`, `specify`, `test`) to the global object before each spec file loads, and
// loopcop takes them through accessors and notes the caller's file of each definition.
import { addDefiningFile, copyOwnProperties } from '../../src/integration.js'

/** The global names of Mocha's interfaces that define a test (bdd: `it`, `specify`; tdd, qunit: `test`). */
const DEFINING = ['it', 'specify', 'test'] as const

/** On the global object, once any copy of loopcop/mocha has put its accessors there. */
const INSTALLED = Symbol.for('loopcop.mocha.definitions')

/** A frame of Mocha's own (its interfaces, `require('mocha').it`) or of a package between the user and Mocha. */
const NOT_THE_DEFINER = /[\\/]node_modules[\\/]|[\\/]mocha[\\/]lib[\\/]|^node:|^internal[\\/]/

/** On a wrapper of loopcop's. */
const WRAPPER = Symbol.for('loopcop.mocha.defining')

/** Each function Mocha assigned, and the wrapper the global gives out for it (`it === specify` stays true). */
const wrappers = new WeakMap<Function, Function>()

/**
 * Puts accessors for `it`, `specify` and `test` on the global object (once a process). A function
 * assigned there (Mocha's, at each spec file's `pre-require`) is given out wrapped: the wrapper
 * calls it as it is and then notes the file the call came from. Anything else is kept as assigned.
 * `loading` is called at each assignment: a spec file is about to load.
 */
export function noteTestDefinitions(loading: () => void): void {
  const global = globalThis as unknown as Record<PropertyKey, unknown>
  if (Object.hasOwn(global, INSTALLED)) return
  Object.defineProperty(global, INSTALLED, { value: true })
  for (const name of DEFINING) {
    const existing = Object.getOwnPropertyDescriptor(global, name)
    // Something of its own is there already (another test framework's global): leave it.
    if (existing !== undefined && !existing.configurable) continue
    let value: unknown = existing?.value
    const accessor = (enumerable: boolean): PropertyDescriptor => ({
      configurable: true,
      enumerable,
      get: () => value,
      set: (assigned: unknown) => {
        value = typeof assigned === 'function' ? wrapperOf(assigned) : assigned
        loading()
        // As an assignment would have made it: an interface that never assigns the name (bdd
        // and `test`) leaves it out of `Object.keys(globalThis)`.
        if (!enumerable) Object.defineProperty(global, name, accessor(true))
      },
    })
    Object.defineProperty(global, name, accessor(existing?.enumerable ?? false))
  }
}

/**
 * The wrapper given out for a test-defining function: it calls `define` as it is (same `this`,
 * arguments, result, errors) and then registers the file it was called from as a file of tests.
 */
function wrapperOf(define: Function): Function {
  // A wrapper of loopcop's assigned again (a user's `global.it = it`).
  if (Object.hasOwn(define, WRAPPER)) return define
  let wrapper = wrappers.get(define)
  if (wrapper !== undefined) return wrapper
  // A method, which has no `prototype` of its own: after the copy below it has the original's own
  // properties, as the wrappers of blocking calls do (intercept/wrap.ts).
  // eslint-disable-next-line @typescript-eslint/unbound-method -- a method for its shape (no `prototype`); called with the `this` it is given
  const { defining } = {
    defining(this: unknown, ...args: unknown[]): unknown {
      const test = Reflect.apply(define, this, args) as unknown
      addDefiningFile(defining, NOT_THE_DEFINER, typeof test === 'object' && test !== null ? (test as { file?: unknown }).file : undefined)
      return test
    },
  }
  // Its shape (`length`, `name`) and what was put on it before it was assigned (Mocha puts
  // `it.only` and `it.skip` on it after, through the global: on the wrapper).
  copyOwnProperties(define, defining)
  Object.defineProperty(defining, WRAPPER, { value: true })
  wrapper = defining
  wrappers.set(define, wrapper)
  return wrapper
}

