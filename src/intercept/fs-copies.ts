// The copies of fs functions that packages loaded before loopcop hold (docs/architecture.md,
// "intercept"). graceful-fs clones fs when it loads (`patch(clone(fs))`: fs's own functions, and a
// few closures of its own over them, `statSync`'s family and `readSync` among them), and fs-extra
// copies graceful-fs's. nyc loads graceful-fs in every test process before the runner starts, and a
// set-up file may load fs-extra before loopcop's entry: wrapping fs afterwards does not reach those
// copies, and the code under test calling `fse.readJsonSync` or `gracefulFs.statSync` would block
// unseen. The CommonJS module cache reaches them: each such property gets the wrapper fs got for
// the same function, or, for a closure of graceful-fs's, a wrapper of its own.
import { sep } from 'node:path'
import type { Operation } from '../model/operation.js'
import { type CachedModule, RUNNER_PACKAGES, moduleCache } from '../runtime/module-cache.js'
import { packageOf } from '../runtime/packages.js'

/** Packages that copy fs functions when they load, in the order their copies are reached (fs-extra copies graceful-fs's). */
export const FS_COPY_PACKAGES = ['graceful-fs', 'fs-extra'] as const

/** One module of such a package in the module cache: its exports, which may hold copies. */
export interface CachedCopy {
  readonly pkg: (typeof FS_COPY_PACKAGES)[number]
  readonly exports: object
}

/**
 * The modules of `FS_COPY_PACKAGES` the CommonJS module cache holds (each installed copy of each
 * package, its files only, not packages nested inside it), graceful-fs's first. A copy a test
 * runner's own package loaded is left out: it is the runner's (Jest's module registry reads test
 * files through its graceful-fs), and the code under test gets a copy of its own (Jest's registry
 * evaluates graceful-fs again for each test file, from fs as wrapped).
 */
export function cachedFsCopies(cwd: string): CachedCopy[] {
  const cache = moduleCache(cwd)
  const nodeModules = `${sep}node_modules${sep}`
  // One pass over the cache (a run's worker may hold thousands of modules), each package's in order.
  // Told by the name after the last `node_modules`, without splitting every path as `packageOf`
  // does: a split per path made the pass 2–3× slower (0.65–1.05 against 0.27–0.49 ms at ~430
  // modules), and it runs in every process loopcop installs in, a Vitest test file's fork too.
  const byPackage = FS_COPY_PACKAGES.map((): CachedCopy[] => [])
  for (const file of Object.keys(cache)) {
    const at = file.lastIndexOf(nodeModules)
    if (at < 0) continue
    const from = at + nodeModules.length
    const index = FS_COPY_PACKAGES.findIndex((pkg) => file.startsWith(pkg, from) && file.startsWith(sep, from + pkg.length))
    if (index < 0) continue
    const pkg = FS_COPY_PACKAGES[index] as CachedCopy['pkg']
    const module = cache[file]
    if (RUNNER_PACKAGES.test(packageOf(loaderOf(module, pkg)) ?? '')) continue
    const exports = module?.exports
    if ((typeof exports === 'object' || typeof exports === 'function') && exports !== null) byPackage[index]?.push({ pkg, exports })
  }
  return byPackage.flat()
}

/** The file that first required a package's module from outside the package (`module.parent`, up through the package's own files); `''` when none can be told. */
function loaderOf(module: CachedModule | undefined, pkg: string): string {
  for (let m = module?.parent, depth = 0; m !== undefined && m !== null && depth < 50; m = m.parent, depth++) {
    const file = m.filename
    if (typeof file !== 'string') return ''
    if (packageOf(file) !== pkg) return file
  }
  return ''
}

/** What reaching the copies needs from the interceptors. */
export interface CopyTools {
  /** fs's wrappers, by the function each one replaced; a closure's wrapper is added once made. */
  readonly wrappers: Map<Function, Function>
  /** Puts `wrapper` in place of a copy's property, to be put back by `uninstall()`. */
  readonly use: (target: object, key: string, wrapper: Function) => void
  /** Wraps a copy's property as `operation` (kept to be put back); its wrapper, or `undefined` when there was nothing to wrap. */
  readonly wrap: (target: object, key: string, operation: Operation) => Function | undefined
}

/**
 * Gives every copy of an fs function among `copies` its wrapper. `operations`: the operation of
 * each of fs's functions, by name. A function of graceful-fs's under such a name that is neither
 * fs's nor a wrapper is one of its closures over fs's function (`statFixSync(fs.statSync)`): it is
 * wrapped as that operation. One made over a wrapper (graceful-fs loaded while loopcop was on, then
 * `deactivate()` and `activate()`) still counts a call once: the inner wrapper runs inside the outer
 * one's call, which passes it through (the detector's guard). Returns how many properties now hold
 * a wrapper.
 */
export function reachFsCopies(copies: readonly CachedCopy[], operations: ReadonlyMap<string, Operation>, tools: CopyTools): number {
  const wrappers = new Set(tools.wrappers.values())
  let reached = 0
  for (const { pkg, exports } of copies) {
    for (const [key, operation] of operations) {
      const descriptor = Object.getOwnPropertyDescriptor(exports, key)
      const value: unknown = descriptor?.value
      if (descriptor === undefined || typeof value !== 'function' || wrappers.has(value)) continue
      // Read-only and non-configurable (a frozen module's exports): no wrapper can take its place.
      if (descriptor.configurable === false && descriptor.writable === false) continue
      const known = tools.wrappers.get(value)
      if (known !== undefined) {
        tools.use(exports, key, known)
        reached++
        continue
      }
      if (pkg !== 'graceful-fs') continue
      const wrapper = tools.wrap(exports, key, operation)
      if (wrapper === undefined) continue
      tools.wrappers.set(value, wrapper)
      wrappers.add(wrapper)
      reached++
    }
  }
  return reached
}
