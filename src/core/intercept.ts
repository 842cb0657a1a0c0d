import childProcess from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import nodeModule from 'node:module'
import vm from 'node:vm'
import zlib from 'node:zlib'
import { als, guard } from './context.js'
import { onBlockingCall } from './calls.js'
import { type Operation, type OperationSite, catalog, userOperation } from './operations.js'
import { invalid } from './options.js'
import { installStallProbe } from './watchdog.js'

/** One replaced property, with what to put back. */
interface Patch {
  readonly target: object
  readonly key: PropertyKey
  /** What to put back. Not readonly: undoing a mark below this one hands this patch its original. */
  descriptor: PropertyDescriptor
  readonly wrapper: Function
}

const patches: Patch[] = []
const realmPatches = new Map<object, Patch>()
let installed = false

/** What `markAsBlocking` declared: re-applied by every `install()`, with the patch in place if any. */
const userSites: { target: object; key: PropertyKey; operation: Operation; patch: Patch | undefined }[] = []

/**
 * Wraps `original` so that a call inside a scope is a finding. The wrapper keeps `this`,
 * arguments, return value and thrown error, and carries the original's own properties
 * (`name`, `length`, `prototype`, `fs.realpathSync.native`, …).
 */
export function wrap(operation: Operation, original: Function): Function {
  // A method, not a `function`: a method has no `prototype` of its own, so after the copy below the
  // wrapper has exactly the original's own properties — a `prototype` when the original has one
  // (`fs.readFileSync`) and none when it has not (`fs.Dir#readSync`, `Atomics.wait`, class methods).
  // A `function` wrapper always carries a non-configurable `prototype` that cannot be removed.
  const { wrapper } = {
    wrapper(this: unknown, ...args: unknown[]): unknown {
      const scope = als.getStore()
      if (scope === undefined || scope.quiet || guard.depth !== 0) return Reflect.apply(original, this, args)
      return onBlockingCall(operation, original, this, args, scope, wrapper)
    },
  }
  for (const key of Reflect.ownKeys(original)) {
    const d = Object.getOwnPropertyDescriptor(original, key)
    if (d === undefined) continue
    try {
      Object.defineProperty(wrapper, key, d)
    } catch {
      // A non-configurable, non-writable own property of the wrapper itself: nothing to copy onto.
    }
  }
  return wrapper
}

function patch(target: object, key: PropertyKey, operation: Operation): Patch | undefined {
  const descriptor = Object.getOwnPropertyDescriptor(target, key)
  if (descriptor === undefined || typeof descriptor.value !== 'function') return undefined
  const wrapper = wrap(operation, descriptor.value as Function)
  Object.defineProperty(target, key, { ...descriptor, value: wrapper })
  return { target, key, descriptor, wrapper }
}

function targetOf(site: OperationSite): object | undefined {
  switch (site.module) {
    case 'fs':
      return fs
    case 'fs.realpathSync':
      return fs.realpathSync
    case 'fs.Dir':
      return fs.Dir.prototype
    case 'child_process':
      return childProcess
    case 'zlib':
      return zlib
    case 'crypto':
      return crypto
    case 'Atomics':
      return undefined // per realm: see patchRealm
  }
}

const atomicsOperation = catalog.find((s) => s.module === 'Atomics')?.operation as Operation

/** Whether the interceptors are in place. */
export function isInstalled(): boolean {
  return installed
}

/**
 * Wraps every operation of the catalog (once per process) and the user's `markAsBlocking`
 * ones, then syncs ESM named exports so `import { readFileSync } from 'node:fs'` sees the wrappers.
 */
export function install(): void {
  if (installed) return
  installed = true
  for (const site of catalog) {
    const target = targetOf(site)
    if (target === undefined) continue
    const p = patch(target, site.key, site.operation)
    if (p !== undefined) patches.push(p)
  }
  for (const u of userSites) {
    u.patch = patch(u.target, u.key, u.operation)
    if (u.patch !== undefined) patches.push(u.patch)
  }
  patchRealm(globalThis)
  nodeModule.syncBuiltinESMExports()
}

/** Puts every original back, by identity, in every realm patched. */
export function uninstall(): void {
  if (!installed) return
  installed = false
  for (const p of patches.splice(0).reverse()) Object.defineProperty(p.target, p.key, p.descriptor)
  for (const [atomics, p] of realmPatches) {
    Object.defineProperty(atomics, p.key, p.descriptor)
  }
  realmPatches.clear()
  nodeModule.syncBuiltinESMExports()
  // Turn the async context tracking off too (it costs on every await while on): with loopcop
  // deactivated the process runs as if loopcop were never loaded. A later scope turns it on again.
  als.disable()
}

/** Installs if nothing is installed yet (every scope needs the interceptors). */
export function ensureInstalled(): void {
  if (!installed) install()
}

/**
 * Watches another realm (a `vm` context, Jest's test environment): wraps its `Atomics.wait` (each
 * realm has its own) and gives it the stall probe. Undone by `uninstall()`.
 */
export function patchRealm(realmGlobal: { Atomics?: unknown }): void {
  installStallProbe(realmGlobal)
  const atomics = atomicsOf(realmGlobal)
  if (typeof atomics !== 'object' || atomics === null || realmPatches.has(atomics)) return
  const p = patch(atomics, 'wait', atomicsOperation)
  if (p !== undefined) realmPatches.set(atomics, p)
}

/**
 * The `Atomics` of a realm, given its global or the contextified object `vm.createContext()`
 * returned: that object is not the realm's global and has no `Atomics` of its own (the realm's
 * builtins live on its real global), so patching it would silently do nothing.
 */
function atomicsOf(realmGlobal: { Atomics?: unknown }): unknown {
  if (realmGlobal.Atomics === undefined && vm.isContext(realmGlobal)) return (vm.runInContext('globalThis', realmGlobal) as { Atomics?: unknown }).Atomics
  return realmGlobal.Atomics
}

/**
 * Puts back `Atomics.wait` of a realm `patchRealm` wrapped (a Jest environment's teardown): the
 * patch list would otherwise keep that realm, and everything it loaded, alive.
 */
export function unpatchRealm(realmGlobal: { Atomics?: unknown }): void {
  const atomics = atomicsOf(realmGlobal)
  if (typeof atomics !== 'object' || atomics === null) return
  const p = realmPatches.get(atomics)
  if (p === undefined) return
  realmPatches.delete(atomics)
  if ((atomics as Record<PropertyKey, unknown>)[p.key] === p.wrapper) Object.defineProperty(atomics, p.key, p.descriptor)
}

/** Options of `markAsBlocking`. */
export interface MarkOptions {
  /** Id used in messages and allow rules. @default `${ConstructorName}.${method}` */
  readonly id?: string
  /** The alternative to suggest. @default 'move it off the event loop (a worker thread or an async API)' */
  readonly hint?: string
}

/**
 * Declares a method of your own (a native addon's, a sync client's) as blocking, so calls inside
 * a test are findings like `fs.readFileSync`. Returns a function that undoes it.
 * @example markAsBlocking(Database.prototype, 'exec', { id: 'better-sqlite3.exec', hint: 'run it in a worker' })
 */
export function markAsBlocking(target: object, method: string | symbol, options: MarkOptions = {}): () => void {
  if ((typeof target !== 'object' && typeof target !== 'function') || target === null) invalid('target', 'an object or function whose method blocks', target, ' in markAsBlocking()')
  const current: unknown = (target as Record<PropertyKey, unknown>)[method]
  if (typeof current !== 'function') invalid(`target[${String(method)}]`, 'a function', current, ' in markAsBlocking()')
  if (options.id !== undefined && (typeof options.id !== 'string' || options.id === '')) invalid('id', 'a non-empty string', options.id, ' in markAsBlocking()')
  if (options.hint !== undefined && typeof options.hint !== 'string') invalid('hint', 'a string', options.hint, ' in markAsBlocking()')
  const owner = typeof target === 'function' ? target.name : (target.constructor?.name ?? 'Object')
  const operation = userOperation(options.id ?? `${owner}.${String(method)}`, options.hint ?? 'move it off the event loop (a worker thread or an async API)')
  if (!Object.prototype.hasOwnProperty.call(target, method)) {
    throw new TypeError(`markAsBlocking(): \`${String(method)}\` is inherited, not an own property of the target; pass the object that defines it (e.g. the class's prototype)`)
  }
  const site: (typeof userSites)[number] = { target, key: method, operation, patch: undefined }
  userSites.push(site)
  if (installed) {
    site.patch = patch(target, method, operation)
    if (site.patch !== undefined) {
      patches.push(site.patch)
      nodeModule.syncBuiltinESMExports()
    }
  }
  return function unmark(): void {
    const i = userSites.indexOf(site)
    if (i >= 0) userSites.splice(i, 1)
    if (site.patch !== undefined) unpatch(site.patch)
    site.patch = undefined
  }
}

/**
 * Removes one patch (this mark's own, found by identity: never another mark's or the catalog's on
 * the same method). When a later mark wrapped this wrapper, that later patch now restores what this
 * one would have, so undoing marks in any order ends with the original in place; this wrapper stays
 * inside the later one's, where the depth guard makes it a plain pass-through.
 */
function unpatch(p: Patch): void {
  const i = patches.indexOf(p)
  if (i < 0) return
  patches.splice(i, 1)
  if ((p.target as Record<PropertyKey, unknown>)[p.key] === p.wrapper) {
    Object.defineProperty(p.target, p.key, p.descriptor)
    return
  }
  const above = patches.find((q) => q.target === p.target && q.key === p.key && q.descriptor.value === p.wrapper)
  if (above !== undefined) above.descriptor = p.descriptor
}
