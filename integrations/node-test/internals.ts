/**
 * The one place loopcop reaches into node:test, measured on Node 20, 22, 24 and 26 (the runner
 * changed a lot between them, but not in what is used here):
 *
 * - Every test, subtest, hook and suite is an instance of node:test's internal `Test` class (hooks
 *   and suites subclass it), which extends `AsyncResource`. Each runs its function with
 *   `this.runInAsyncScope(fn, ctx, ...args)`, which switches to the async context captured when the
 *   test was *created*. That is why `AsyncLocalStorage.enterWith()` in a `beforeEach` hook never
 *   reaches the test body: the body has to be wrapped.
 * - A root `beforeEach`/`afterEach` registered from an `--import`/`--require` module runs for every
 *   test and subtest of the process (describe-nested ones included), the `beforeEach` before the
 *   suites' own, the `afterEach` after them. They get the test's context `t`, the very object the
 *   test's hooks and body then get as `this` (`runInAsyncScope`'s second argument): that is how
 *   loopcop tells which test a hook or body belongs to.
 * - `Test` is not exported. Registering the root hooks makes node:test construct `Test` objects
 *   synchronously (the global root test on first use, and the hooks): an `async_hooks` init hook
 *   that is on only for that call sees the first one (type `'Test'`), whose prototype chain leads to
 *   `Test.prototype`. Giving `Test.prototype` its own `runInAsyncScope` (delegating to
 *   `AsyncResource`'s) intercepts every test, hook and suite function before it runs.
 *
 * - `Test.prototype.getRunArgs` makes the context `t` of each test run: wrapping it tells which
 *   test a context is, and so the file the test was defined in (`Test#loc`), for `definedIn`.
 *   Optional: without it a test's file is the process's test file.
 *
 * Nothing else of node:test's internals is used, so a test runner that changes them fails at load,
 * with this module named, rather than leaving tests silently unchecked.
 * @module
 */
import { AsyncResource, createHook } from 'node:async_hooks'
import * as nodeTest from 'node:test'
import { fileURLToPath } from 'node:url'

/** The parts of node:test's internal `Test` (and its `TestHook`, `Suite` subclasses) loopcop reads. */
export interface Runnable {
  /** Set on hooks only. */
  readonly hookType?: 'before' | 'after' | 'beforeEach' | 'afterEach'
  /** Where `test()`/`it()` was called: its file (a path, or a `file:` URL). */
  readonly loc?: { readonly file?: unknown }
}

/** `t`, the test context node:test passes to tests and hooks (the parts loopcop reads). */
export interface NodeTestContext {
  readonly name: string
  /** `suite > test > subtest` (Node 20.16, 22.3 and later). */
  readonly fullName?: string
  /** The test file (Node 22.6 and later). */
  readonly filePath?: string
  diagnostic(message: string): void
}

/**
 * Decides how a test's, hook's or suite's function runs: `proceed(fn, args)` runs it as node:test
 * would have (in the runnable's async context, with `thisArg`), possibly with a wrapped `fn` or
 * changed arguments.
 */
export type RunFunction = (runnable: Runnable, fn: Function, thisArg: unknown, args: readonly unknown[], proceed: (fn: Function, args: readonly unknown[]) => unknown) => unknown

type RunInAsyncScope = (this: Runnable, fn: Function, thisArg: unknown, ...args: unknown[]) => unknown

/** On `process` once node:test is intercepted: one interception per process, whichever build of loopcop loads first. */
const INTERCEPTED = Symbol.for('loopcop.node-test.intercepted')

/** Says what went wrong in node:test's terms, naming this module, Node's version and the way out. */
function unsupported(what: string): Error {
  return new Error(
    `loopcop/node-test cannot check tests on Node ${process.version}: ${what}. loopcop/node-test is tested on Node 20, 22, 24 and 26; ` +
      "meanwhile, remove `--import loopcop/node-test` and use loopcop's assertions (assertNoBlocking) in the tests.",
  )
}

/**
 * Registers the root `beforeEach` and `afterEach` hooks and makes every test, hook and suite
 * function of node:test go through `run`. Once per process: another call (the other build of
 * loopcop, loaded too) does nothing and returns `false`. Throws when node:test is not as measured.
 */
export function interceptNodeTest(hooks: { readonly beforeEach: (t: NodeTestContext) => void; readonly afterEach: (t: NodeTestContext) => void }, run: RunFunction): boolean {
  const home = process as unknown as Record<symbol, boolean | undefined>
  if (home[INTERCEPTED] === true) return false
  Object.defineProperty(home, INTERCEPTED, { value: true, configurable: true })
  let first: object | undefined
  const spy = createHook({
    init(_id, type, _trigger, resource) {
      if (type === 'Test' && first === undefined) first = resource
    },
  })
  spy.enable()
  try {
    nodeTest.beforeEach(hooks.beforeEach as (t: unknown) => void)
    nodeTest.afterEach(hooks.afterEach as (t: unknown) => void)
  } finally {
    spy.disable()
  }
  let proto: object | null = first === undefined ? null : (Object.getPrototypeOf(first) as object | null)
  while (proto !== null && Object.getPrototypeOf(proto) !== AsyncResource.prototype) proto = Object.getPrototypeOf(proto) as object | null
  if (proto === null) throw unsupported('registering a root hook created no internal Test object extending AsyncResource')
  for (const method of ['run', 'runHook', 'createSubtest', 'runInAsyncScope']) {
    if (typeof (proto as Record<string, unknown>)[method] !== 'function') throw unsupported(`node:test's Test class has no ${method}() method`)
  }
  definingFiles(proto)
  const inherited = (proto as { runInAsyncScope: RunInAsyncScope }).runInAsyncScope
  Object.defineProperty(proto, 'runInAsyncScope', {
    configurable: true,
    writable: true,
    value: function runInAsyncScope(this: Runnable, fn: Function, thisArg: unknown, ...args: unknown[]): unknown {
      return run(this, fn, thisArg, args, (wrapped, wrappedArgs) => Reflect.apply(inherited, this, [wrapped, thisArg, ...wrappedArgs]))
    },
  })
  return true
}

/** Each test context's test, as `Test.prototype.getRunArgs` made it (see `definedIn`). */
const testOf = new WeakMap<object, Runnable>()

/**
 * Has `Test.prototype.getRunArgs` (Node 20–26: it makes the context `t` a test's hooks and body get)
 * remember each context's test, for `definedIn`. Where it is missing, nothing is remembered.
 */
function definingFiles(proto: object): void {
  const getRunArgs = (proto as { getRunArgs?: unknown }).getRunArgs
  if (typeof getRunArgs !== 'function') return
  Object.defineProperty(proto, 'getRunArgs', {
    configurable: true,
    writable: true,
    value: function getRunArgsOf(this: Runnable, ...args: unknown[]): unknown {
      const made: unknown = Reflect.apply(getRunArgs, this, args)
      const ctx = (made as { ctx?: unknown } | null)?.ctx
      if (typeof ctx === 'object' && ctx !== null) testOf.set(ctx, this)
      return made
    },
  })
}

/**
 * The file a test was defined in (where its `test()` or `it()` was called), as node:test's own
 * reporters name it (`test at test/a.js:5:11`): a file that an entry file imports
 * (`node test/index.js`, which imports `test/a.js`) is the test's file, not the entry file.
 * `undefined` where node:test does not say.
 */
export function definedIn(t: object): string | undefined {
  const file = testOf.get(t)?.loc?.file
  if (typeof file !== 'string' || file === '') return undefined
  if (!file.startsWith('file:')) return file
  try {
    return fileURLToPath(file)
  } catch {
    return undefined
  }
}
