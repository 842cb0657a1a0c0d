// The builtins of the catalog a process may never load: `child_process`, `zlib` and `crypto`.
// Loading them costs a fresh process ~8 ms of its main thread on Node 24 (crypto ~6 of it), and
// node:test and Vitest run every test file in a fresh one that often loads none of them
// (bench/README.md, "Eighteenth pass"). Where Node shows loopcop every way a module can reach one
// of them, each is loaded and wrapped at that moment, before the module gets it; elsewhere (Node 20,
// Node 22 before 22.15) all three are loaded and wrapped at install, as before.
//
// The ways a module reaches a builtin: `require()`, `import` (static: the graph is resolved before
// any of it runs), `import()`, `require()` of an ES module, and `process.getBuiltinModule()`. The
// first four resolve its specifier through `module.registerHooks`'s resolve hooks, which run before
// the module is loaded; the last is wrapped while one is still to come. A builtin another builtin
// loads for itself (`https` loads `crypto`) is no way in: it is wrapped when a module asks for it.
import nodeModule from 'node:module'
import { keepShape } from '../runtime/functions.js'

/** A builtin loopcop loads and wraps when it is first asked for, where it can. */
export type LazyBuiltin = 'child_process' | 'zlib' | 'crypto'

/** The builtins of the catalog that are not always loaded. */
export const LAZY_BUILTINS: readonly LazyBuiltin[] = ['child_process', 'zlib', 'crypto']

/** The specifiers that name each (with and without the `node:` scheme). */
const SPECIFIERS = new Map<string, LazyBuiltin>(LAZY_BUILTINS.flatMap((name) => [[name, name] as const, [`node:${name}`, name] as const]))

type GetBuiltinModule = (id: string) => unknown
type ResolveHook = (specifier: string, context: unknown, nextResolve: (specifier: string, context?: unknown) => unknown) => unknown
type RegisterHooks = (hooks: { resolve: ResolveHook }) => { deregister(): void }

/** Node's own `process.getBuiltinModule` (Node 20.16+, 22.3+), taken at load: never a wrapper. */
const ownGetBuiltinModule: unknown = Object.getOwnPropertyDescriptor(process, 'getBuiltinModule')?.value
const getBuiltinModule = typeof ownGetBuiltinModule === 'function' ? (ownGetBuiltinModule as GetBuiltinModule) : undefined

/**
 * Whether the process has loaded builtin `name`, for itself or for a module. True when that cannot
 * be known (`process.moduleLoadList` is Node's, undocumented): then it is loaded and wrapped now.
 */
export function isLoaded(name: LazyBuiltin): boolean {
  const list = (process as { moduleLoadList?: unknown }).moduleLoadList
  return !Array.isArray(list) || list.includes(`NativeModule ${name}`)
}

/**
 * Whether `target` is the exports object of a builtin module (what an ES-module facade mirrors):
 * only loaded ones are asked for, none is loaded for it. When Node does not say which are loaded,
 * or a builtin cannot be read, the answer is yes: the caller then syncs the facades, as it would
 * for a builtin, so that a wrapper on one never misses an ES module's import.
 */
export function isBuiltinExports(target: object): boolean {
  const list = (process as { moduleLoadList?: unknown }).moduleLoadList
  if (!Array.isArray(list) || getBuiltinModule === undefined) return true
  try {
    for (const name of nodeModule.builtinModules) {
      const bare = name.startsWith('node:') ? name.slice(5) : name
      if (list.includes(`NativeModule ${bare}`) && Reflect.apply(getBuiltinModule, process, [`node:${bare}`]) === target) return true
    }
    return false
  } catch {
    return true
  }
}

/** The module object of a builtin, loaded if it was not (without running anyone's module hooks). */
export function loadBuiltin(name: LazyBuiltin): object {
  if (getBuiltinModule !== undefined) return Reflect.apply(getBuiltinModule, process, [`node:${name}`]) as object
  return nodeModule.createRequire(process.execPath)(`node:${name}`) as object
}

/**
 * How many module resolutions the hook watches before it wraps the builtins still not asked for
 * and goes. A resolve hook costs each `require`/`import` after it ~10–50 µs (bench/README.md,
 * "Seventh pass"); a fresh node:test or Vitest process resolves a few dozen after loopcop starts.
 */
const HOOKED_RESOLUTIONS = 200

/** A watch `watchFirstUse` set up. */
export interface FirstUseWatch {
  /** Stops watching (hooks and wrapper removed); no call of `onFirstUse` after it. */
  stop(): void
}

/**
 * Takes the frame of the resolve hook below (the caller of this function) out of an error's
 * `stack`: its line there names the same function in the same file (`at resolve (…/core-bundle.js:`).
 * Leaves anything else alone.
 */
function withoutHookFrame(error: unknown): void {
  if (!(error instanceof Error) || typeof error.stack !== 'string') return
  const caller = /^\s*at (\S+) \((.+):\d+:\d+\)$/.exec(new Error().stack?.split('\n')[2] ?? '')
  if (caller === null) return
  const frame = `at ${caller[1] ?? ''} (${caller[2] ?? ''}:`
  const lines = error.stack.split('\n')
  const kept = lines.filter((line) => !line.trimStart().startsWith(frame))
  if (kept.length !== lines.length) error.stack = kept.join('\n')
}

/**
 * Calls `onFirstUse(name)` the first time a module asks for builtin `name` of `names`, before the
 * module gets it, and stops watching once each has been asked for (or after `HOOKED_RESOLUTIONS`
 * resolutions, calling it for those left). Returns `undefined`, and watches nothing, where Node has
 * no synchronous module hooks (`module.registerHooks`, Node 22.15+) or refuses one: then the caller
 * loads them at once. `onFirstUse` must not throw.
 */
export function watchFirstUse(names: readonly LazyBuiltin[], onFirstUse: (name: LazyBuiltin) => void): FirstUseWatch | undefined {
  const registerHooks = (nodeModule as { registerHooks?: unknown }).registerHooks as RegisterHooks | undefined
  if (typeof registerHooks !== 'function' || getBuiltinModule === undefined) return undefined
  const pending = new Set(names)
  let stopped = false
  const asked = (id: unknown): void => {
    if (stopped || typeof id !== 'string') return
    const name = SPECIFIERS.get(id)
    if (name === undefined || !pending.delete(name)) return
    onFirstUse(name)
    if (pending.size === 0) stop()
  }
  let resolutions = 0
  let hooks: { deregister(): void }
  try {
    hooks = registerHooks({
      resolve(specifier, context, nextResolve) {
        asked(specifier)
        // A process that loads many modules without asking for them (a long Mocha run) is better off
        // paying for loading them than for the hook on every resolution: the rest are wrapped now.
        if (!stopped && ++resolutions > HOOKED_RESOLUTIONS) for (const name of [...pending]) asked(`node:${name}`)
        try {
          return nextResolve(specifier, context)
        } catch (error) {
          // A module that is not there (a mistyped `--import`): Node's error, without this hook's
          // frame, which would make loopcop look involved.
          withoutHookFrame(error)
          throw error
        }
      },
    })
  } catch {
    // Not every `node:module` lets one register: Vitest's vm pools hand their test files one that
    // throws ("registerHooks is not available when running in Vitest"). Then they are loaded now.
    return undefined
  }
  const descriptor = Object.getOwnPropertyDescriptor(process, 'getBuiltinModule')
  const original = getBuiltinModule
  const wrapper = keepShape(
    function getBuiltinModule(this: unknown, ...args: unknown[]): unknown {
      asked(args[0])
      return Reflect.apply(original, this, args)
    },
    original,
  )
  if (descriptor !== undefined) Object.defineProperty(process, 'getBuiltinModule', { ...descriptor, value: wrapper })
  const stop = (): void => {
    if (stopped) return
    stopped = true
    hooks.deregister()
    if (descriptor !== undefined && process.getBuiltinModule === wrapper) Object.defineProperty(process, 'getBuiltinModule', descriptor)
  }
  return { stop }
}
