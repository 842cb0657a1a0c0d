// Putting the wrappers in place and taking them away (docs/architecture.md, "intercept"): the
// catalog's operations once per process, `markAsBlocking`'s own, and `Atomics.wait` per realm.
import fs from 'node:fs'
import nodeModule from 'node:module'
import vm from 'node:vm'
import { type FirstUseWatch, LAZY_BUILTINS, type LazyBuiltin, isBuiltinExports, isLoaded, loadBuiltin, watchFirstUse } from './builtins.js'
import { cachedFsCopies, reachFsCopies } from './fs-copies.js'
import { type Operation, type OperationSite, catalog, userOperation, zlibHandleOperation } from '../model/operation.js'
import { invalid } from '../model/options.js'
import { type WrapContext, wrap } from './wrap.js'
import { watchZlibHandles } from './zlib-handles.js'
import { projectCwd } from '../runtime/cwd.js'
import { keepShape } from '../runtime/functions.js'
import { type LoadingClock, timedLoad } from '../runtime/module-loading.js'

/** One replaced property, with what to put back. */
interface Patch {
  readonly target: object
  readonly key: PropertyKey
  /** What to put back. Not readonly: undoing a mark below this one hands this patch its original. */
  descriptor: PropertyDescriptor
  readonly wrapper: Function
}

/** What `markAsBlocking` declared: re-applied by every `install()`, with the patch in place if any. */
interface UserSite {
  readonly target: object
  readonly key: PropertyKey
  readonly operation: Operation
  patch: Patch | undefined
}

/** Options of `markAsBlocking`. */
export interface MarkOptions {
  /** Id used in messages and allow rules. @default `${ConstructorName}.${method}` */
  readonly id?: string
  /** The alternative to suggest. @default 'move it off the event loop (a worker thread or an async API)' */
  readonly hint?: string
}

const MARK_KEYS = ['id', 'hint'] as const satisfies readonly (keyof MarkOptions)[]
const IN_MARK = ' in markAsBlocking()'

/** Whether a property is frozen (read-only and non-configurable): no wrapper can take its place. */
function isFrozen(descriptor: PropertyDescriptor): boolean {
  return descriptor.configurable === false && descriptor.writable === false
}

/** What a site's operation is a property of; `undefined` for a builtin left for later (`later`) and for `Atomics`. */
function targetOf(site: OperationSite, later: ReadonlySet<LazyBuiltin>): object | undefined {
  const lazy = lazyModuleOf(site)
  if (lazy !== undefined && later.has(lazy)) return undefined
  switch (site.module) {
    case 'fs':
      return fs
    case 'fs.realpathSync':
      return fs.realpathSync
    case 'fs.Dir':
      return fs.Dir.prototype
    case 'child_process':
    case 'zlib':
    case 'crypto':
      return loadBuiltin(site.module)
    case 'zlib.ZlibBase':
      return zlibBase(loadBuiltin('zlib'))
    case 'Atomics':
      return undefined // per realm: see patchRealm
  }
}

/** The prototype the zlib stream classes inherit `_processChunk` from (`ZlibBase`, not exported). */
function zlibBase(zlib: object): object | undefined {
  const Inflate = (zlib as { Inflate?: { prototype?: object } }).Inflate
  for (let o: object | null = Inflate?.prototype ?? null; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    if (Object.hasOwn(o, '_processChunk')) return o
  }
  return undefined
}

/** The builtin whose first use a site's wrapping waits for (see `LAZY_BUILTINS`), if any. */
function lazyModuleOf(site: OperationSite): LazyBuiltin | undefined {
  const name = site.module === 'zlib.ZlibBase' ? 'zlib' : site.module
  return (LAZY_BUILTINS as readonly string[]).includes(name) ? (name as LazyBuiltin) : undefined
}

/** No builtin left for later: a builtin's sites wrapped at its first use. */
const NOTHING_LATER: ReadonlySet<LazyBuiltin> = new Set()

/** The operation of each of fs's own functions, by name: what a copy of one is (intercept/fs-copies.ts). */
const fsOperations: ReadonlyMap<string, Operation> = new Map(catalog.filter((s) => s.module === 'fs').map((s) => [s.key, s.operation]))

const atomicsOperation = catalog.find((s) => s.module === 'Atomics')?.operation as Operation

/**
 * The `Atomics` of a realm, given its global or the contextified object `vm.createContext()`
 * returned: that object is not the realm's global and has no `Atomics` of its own (the realm's
 * builtins live on its real global), so patching it would silently do nothing.
 */
function atomicsOf(realmGlobal: { Atomics?: unknown }): unknown {
  if (realmGlobal.Atomics === undefined && vm.isContext(realmGlobal)) return (vm.runInContext('globalThis', realmGlobal) as { Atomics?: unknown }).Atomics
  return realmGlobal.Atomics
}

/** The property `key` of `target` or of the nearest prototype that has it, read without running a getter. */
function findProperty(target: object, key: PropertyKey): PropertyDescriptor | undefined {
  for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const d = Object.getOwnPropertyDescriptor(o, key)
    if (d !== undefined) return d
  }
  return undefined
}

/** Validates every argument of `markAsBlocking` before anything changes; returns the operation to record. */
function checkMark(target: unknown, method: unknown, options: unknown): Operation {
  if ((typeof target !== 'object' && typeof target !== 'function') || target === null) invalid('target', 'an object or function whose method blocks', target, IN_MARK)
  if (typeof method !== 'string' && typeof method !== 'symbol') invalid('method', 'a property name (a string or a symbol)', method, IN_MARK)
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) invalid('options', 'an object `{ id?: string, hint?: string }`', options, IN_MARK)
  const { id, hint } = (options ?? {}) as Record<string, unknown>
  for (const key of Object.keys(options ?? {})) {
    if (!(MARK_KEYS as readonly string[]).includes(key)) invalid('options', `an object with only \`id\` and \`hint\` (unknown key \`${key}\`)`, options, IN_MARK)
  }
  if (id !== undefined && (typeof id !== 'string' || id === '')) invalid('id', 'a non-empty string', id, IN_MARK)
  if (hint !== undefined && typeof hint !== 'string') invalid('hint', 'a string', hint, IN_MARK)
  const name = `target[${String(method)}]`
  const own = Object.getOwnPropertyDescriptor(target, method)
  const found = own ?? findProperty(target, method)
  if (found !== undefined && (found.get !== undefined || found.set !== undefined)) {
    throw new TypeError(
      `Expected \`${name}\` to be a method, got an accessor (getter/setter) property${IN_MARK}: a getter is not wrapped (what would count, reading it or calling what it returns?); mark the method that blocks where it is defined`,
    )
  }
  if (typeof found?.value !== 'function') invalid(name, 'a function', found?.value, IN_MARK)
  if (own === undefined) {
    throw new TypeError(`markAsBlocking(): \`${String(method)}\` is inherited, not an own property of the target; pass the object that defines it (e.g. the class's prototype)`)
  }
  if (isFrozen(own)) {
    throw new TypeError(
      `Expected \`${name}\` to be a method loopcop can replace, got a frozen one (read-only and non-configurable: \`Object.freeze()\`?)${IN_MARK}; mark it before the object is frozen`,
    )
  }
  const ownerName = typeof target === 'function' ? target.name : (target as { constructor?: { name?: unknown } }).constructor?.name
  const owner = typeof ownerName === 'string' ? ownerName : 'Object'
  return userOperation(id ?? `${owner}.${String(method)}`, hint ?? 'move it off the event loop (a worker thread or an async API)')
}

/** What the interceptors tell the rest of their detector. */
export interface InterceptorHooks {
  /** A realm is watched from now on (its stall probe goes in). */
  realmPatched(realmGlobal: object): void
  /** Every original is back: the process runs as if loopcop were never loaded. */
  uninstalled(): void
  /** Something went wrong inside loopcop where no caller can be told (a builtin wrapped on first use). */
  internalError(error: unknown): void
}

/** The interceptors of one detector: which properties are wrapped, and what to put back. */
export class Interceptors<S extends { readonly quiet: boolean }> {
  readonly #context: WrapContext<S>
  readonly #loading: LoadingClock
  readonly #hooks: InterceptorHooks
  readonly #patches: Patch[] = []
  readonly #realmPatches = new Map<object, Patch>()
  readonly #userSites: UserSite[] = []
  #installed = false
  /** The builtins of the catalog not loaded yet, wrapped when first asked for (intercept/builtins.ts). */
  #firstUse: FirstUseWatch | undefined
  /** Takes away the watch on zlib streams' handles (intercept/zlib-handles.ts), once zlib is wrapped. */
  #stopZlibWatch: (() => void) | undefined
  /** The zlib handle prototypes whose `writeSync` is wrapped. */
  readonly #zlibHandles = new Set<object>()

  constructor(context: WrapContext<S>, loading: LoadingClock, hooks: InterceptorHooks) {
    this.#context = context
    this.#loading = loading
    this.#hooks = hooks
  }

  /** Whether the interceptors are in place. */
  get installed(): boolean {
    return this.#installed
  }

  #patch(target: object, key: PropertyKey, operation: Operation): Patch | undefined {
    const descriptor = Object.getOwnPropertyDescriptor(target, key)
    if (descriptor === undefined || typeof descriptor.value !== 'function') return undefined
    if (isFrozen(descriptor)) {
      // Only a mark can get here (markAsBlocking refuses a frozen method): its object was frozen since.
      throw new TypeError(`loopcop cannot wrap \`${String(key)}\` (${operation.id}, marked with markAsBlocking()): it has been frozen since (read-only and non-configurable); mark it before freezing the object, or undo the mark`)
    }
    return this.#put(target, key, descriptor, wrap(this.#context, operation, descriptor.value as Function))
  }

  /** Puts `wrapper` where `descriptor`'s function was, keeping the property's other attributes. */
  #put(target: object, key: PropertyKey, descriptor: PropertyDescriptor, wrapper: Function): Patch {
    Object.defineProperty(target, key, { ...descriptor, value: wrapper })
    return { target, key, descriptor, wrapper }
  }

  /** `#patch`, recorded to be put back by `uninstall()`. */
  #keep(target: object, key: PropertyKey, operation: Operation): Patch | undefined {
    const p = this.#patch(target, key, operation)
    if (p !== undefined) this.#patches.push(p)
    return p
  }

  /**
   * Wraps every operation of the catalog (once per process) and the user's `markAsBlocking`
   * ones, then syncs ESM named exports so `import { readFileSync } from 'node:fs'` sees the wrappers.
   */
  install(): void {
    if (this.#installed) return
    this.#installed = true
    // All or nothing: a mark that can no longer be applied (its object frozen since) puts back what
    // was patched before it, so loopcop is never half on (`isActive()` true, `Atomics.wait` unwrapped).
    try {
      const unloaded = LAZY_BUILTINS.filter((name) => !isLoaded(name))
      this.#firstUse = unloaded.length === 0 ? undefined : watchFirstUse(unloaded, (name) => this.#wrapOnFirstUse(name))
      const later = new Set(this.#firstUse === undefined ? [] : unloaded)
      for (const site of catalog) {
        const target = targetOf(site, later)
        if (target === undefined) continue
        this.#keep(target, site.key, site.operation)
      }
      if (!later.has('zlib')) this.#watchZlib(loadBuiltin('zlib'))
      this.#reachFsCopies()
      this.#timeModuleLoading()
      for (const u of this.#userSites) u.patch = this.#keep(u.target, u.key, u.operation)
      this.patchRealm(globalThis)
      nodeModule.syncBuiltinESMExports()
    } catch (error) {
      this.#installed = false
      for (const u of this.#userSites) u.patch = undefined
      this.#restoreAll()
      throw error
    }
  }

  /**
   * Gives the copies of fs functions that packages loaded before now hold (graceful-fs, fs-extra:
   * intercept/fs-copies.ts) the wrappers fs got, each put back by `uninstall()` as fs's are. Never
   * throws: a copy that cannot be reached (exports of an odd shape) is an internal error the user
   * sees, and the rest of loopcop is installed.
   */
  #reachFsCopies(): void {
    try {
      this.#reachFsCopiesNow()
    } catch (error) {
      this.#hooks.internalError(new Error('loopcop could not reach the copy of fs that graceful-fs or fs-extra took before loopcop loaded; calls through it may not be checked in this process', { cause: error }))
    }
  }

  #reachFsCopiesNow(): void {
    const wrappers = new Map<Function, Function>()
    for (const p of this.#patches) if (p.target === fs) wrappers.set(p.descriptor.value as Function, p.wrapper)
    reachFsCopies(cachedFsCopies(projectCwd()), fsOperations, {
      wrappers,
      use: (target, key, wrapper) => {
        this.#patches.push(this.#put(target, key, Object.getOwnPropertyDescriptor(target, key) as PropertyDescriptor, wrapper))
      },
      wrap: (target, key, operation) => this.#keep(target, key, operation)?.wrapper,
    })
  }

  /**
   * Wraps the operations of a builtin a module is about to get for the first time (called by the
   * watch, inside that module's `require`/`import`/`getBuiltinModule`). Never throws: a failure is
   * an internal error the user sees, and the module gets the builtin unwrapped.
   * No `syncBuiltinESMExports()` here: a builtin's ES-module facade is made, from its exports as
   * they are then, at its first `import`, and no `import` of this one has run yet (the watch sees
   * every one; `require` and `getBuiltinModule` make none). Syncing would copy every builtin's
   * exports into its facade, a stub a running test has put on another one (`t.mock.method(fs, …)`,
   * `vi.spyOn`) too, and leave it there for every ES module's import after the test took it away.
   */
  #wrapOnFirstUse(name: LazyBuiltin): void {
    if (!this.#installed) return
    try {
      for (const site of catalog) {
        if (lazyModuleOf(site) !== name) continue
        const target = targetOf(site, NOTHING_LATER)
        if (target !== undefined) this.#keep(target, site.key, site.operation)
      }
      if (name === 'zlib') this.#watchZlib(loadBuiltin('zlib'))
    } catch (error) {
      this.#hooks.internalError(new Error(`loopcop could not wrap the blocking calls of node:${name} when it was first loaded; they are not checked in this process`, { cause: error }))
    }
  }

  /**
   * Wraps `writeSync` of each zlib handle class as streams of it are made (the watch never throws
   * into Node's constructor: a failure is an internal error, and that class stays unwrapped).
   */
  #watchZlib(zlib: object): void {
    const base = zlibBase(zlib)
    if (base === undefined || this.#stopZlibWatch !== undefined) return
    this.#stopZlibWatch = watchZlibHandles(base, (proto) => {
      if (!this.#installed || this.#zlibHandles.has(proto)) return
      this.#zlibHandles.add(proto)
      try {
        this.#keep(proto, 'writeSync', zlibHandleOperation)
      } catch (error) {
        this.#hooks.internalError(new Error("loopcop could not wrap a zlib stream's writeSync; that kind of stream is not checked in this process", { cause: error }))
      }
    })
  }

  /**
   * Wraps `Module._load` to time module loading (runtime/module-loading.ts), put back by
   * `uninstall()` as the blocking functions are. Every `require` goes through it, and so does an
   * `import()` of a CommonJS file (Node 20 to 26), as its evaluation. One that cannot be wrapped
   * (frozen) is left as it is: stalls are then told from module loading by their stack alone.
   */
  #timeModuleLoading(): void {
    const descriptor = Object.getOwnPropertyDescriptor(nodeModule, '_load')
    if (descriptor === undefined || typeof descriptor.value !== 'function' || isFrozen(descriptor)) return
    const original = descriptor.value as Function
    this.#patches.push(this.#put(nodeModule, '_load', descriptor, keepShape(timedLoad(original, this.#loading), original)))
  }

  /** Puts back every patch and every realm's `Atomics.wait`, by identity. */
  #restoreAll(): void {
    this.#firstUse?.stop()
    this.#firstUse = undefined
    this.#stopZlibWatch?.()
    this.#stopZlibWatch = undefined
    this.#zlibHandles.clear()
    for (const p of this.#patches.splice(0).reverse()) Object.defineProperty(p.target, p.key, p.descriptor)
    for (const [atomics, p] of this.#realmPatches) Object.defineProperty(atomics, p.key, p.descriptor)
    this.#realmPatches.clear()
    nodeModule.syncBuiltinESMExports()
  }

  /** Puts every original back, by identity, in every realm patched. */
  uninstall(): void {
    if (!this.#installed) return
    this.#installed = false
    this.#restoreAll()
    this.#hooks.uninstalled()
  }

  /**
   * Watches another realm (a `vm` context, Jest's test environment): wraps its `Atomics.wait` (each
   * realm has its own) and gives it the stall probe. Undone by `uninstall()`.
   */
  patchRealm(realmGlobal: { Atomics?: unknown }): void {
    this.#hooks.realmPatched(realmGlobal)
    const atomics = atomicsOf(realmGlobal)
    if (typeof atomics !== 'object' || atomics === null || this.#realmPatches.has(atomics)) return
    const p = this.#patch(atomics, 'wait', atomicsOperation)
    if (p !== undefined) this.#realmPatches.set(atomics, p)
  }

  /**
   * Puts back `Atomics.wait` of a realm `patchRealm` wrapped (a Jest environment's teardown): the
   * patch list would otherwise keep that realm, and everything it loaded, alive.
   */
  unpatchRealm(realmGlobal: { Atomics?: unknown }): void {
    const atomics = atomicsOf(realmGlobal)
    if (typeof atomics !== 'object' || atomics === null) return
    const p = this.#realmPatches.get(atomics)
    if (p === undefined) return
    this.#realmPatches.delete(atomics)
    if ((atomics as Record<PropertyKey, unknown>)[p.key] === p.wrapper) Object.defineProperty(atomics, p.key, p.descriptor)
  }

  /**
   * Declares a method of your own (a native addon's, a sync client's) as blocking, so calls inside
   * a test are findings like `fs.readFileSync`. A class or constructor can be marked too: `new`
   * keeps working, and constructing one in a test is the finding. Getters are refused (mark the
   * method that blocks), and so are frozen methods (mark them before freezing). Everything is
   * checked before anything changes. Returns a function that undoes it.
   */
  markAsBlocking(target: object, method: string | symbol, options?: MarkOptions): () => void {
    const operation = checkMark(target, method, options)
    const site: UserSite = { target, key: method, operation, patch: undefined }
    if (this.#installed) {
      site.patch = this.#keep(target, method, operation)
      if (site.patch !== undefined) {
        // Only a builtin's own exports have an ES-module facade to update; syncing copies every
        // builtin's exports, a stub a running test has on another one too (see #wrapOnFirstUse).
        if (isBuiltinExports(target)) nodeModule.syncBuiltinESMExports()
      }
    }
    this.#userSites.push(site)
    const unmark = (): void => {
      const i = this.#userSites.indexOf(site)
      if (i >= 0) this.#userSites.splice(i, 1)
      if (site.patch !== undefined) {
        this.#unpatch(site.patch)
        // The ES module imports of a builtin's export saw the wrapper: they see the original again.
        if (isBuiltinExports(target)) nodeModule.syncBuiltinESMExports()
      }
      site.patch = undefined
    }
    return unmark
  }

  /**
   * Removes one patch (this mark's own, found by identity: never another mark's or the catalog's on
   * the same method). When a later mark wrapped this wrapper, that later patch now restores what this
   * one would have, so undoing marks in any order ends with the original in place; this wrapper stays
   * inside the later one's, where the depth guard makes it a plain pass-through.
   */
  #unpatch(p: Patch): void {
    const i = this.#patches.indexOf(p)
    if (i < 0) return
    this.#patches.splice(i, 1)
    if ((p.target as Record<PropertyKey, unknown>)[p.key] === p.wrapper) {
      Object.defineProperty(p.target, p.key, p.descriptor)
      return
    }
    const above = this.#patches.find((q) => q.target === p.target && q.key === p.key && q.descriptor.value === p.wrapper)
    if (above !== undefined) above.descriptor = p.descriptor
  }
}
