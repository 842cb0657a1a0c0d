// What loaded before loopcop and will keep using fs functions loopcop never sees: a package that
// copies fs when it loads (graceful-fs, and fs-extra through it), or a user's setup file that took
// `const { readFileSync } = require('fs')`. Patching fs cannot reach such copies; loading loopcop
// first avoids them. Only what the CommonJS module cache shows can be detected.
import { createRequire } from 'node:module'
import { join, relative, sep } from 'node:path'
import { projectCwd } from '../runtime/cwd.js'

/** Packages that keep their own copy of `fs` functions, taken when they load. */
const FS_COPIES = ['graceful-fs', 'fs-extra'] as const

/** What the module cache held when a loopcop integration loaded. */
export interface LoadedBefore {
  /** Packages among `FS_COPIES` already loaded, by a file of the user's (or by what cannot be told). */
  readonly copies: readonly string[]
  /** The user's own modules already loaded (outside `node_modules`), relative to the working directory. */
  readonly userFiles: readonly string[]
  /**
   * Packages among `FS_COPIES` that a tool loaded before the runner started, with no file of the
   * user's in between (nyc's require hook loads graceful-fs in every test process): no order of the
   * runner's set-up files can load loopcop before them. Absent when there are none.
   */
  readonly preloaded?: readonly { readonly copy: string; readonly by: string }[]
}

/** A module of the CommonJS cache, as far as telling who loaded it goes (`module.parent`: the first module that required it). */
interface CachedModule {
  readonly filename?: string
  readonly parent?: CachedModule | null
}

/** The package a file of `node_modules` belongs to (`@scope/name` or `name`), else `undefined`. */
function packageOfFile(file: string): string | undefined {
  const at = file.lastIndexOf(`${sep}node_modules${sep}`)
  if (at < 0) return undefined
  const [first, second] = file.slice(at + sep.length + 'node_modules'.length + sep.length).split(sep)
  return first?.startsWith('@') === true && second !== undefined ? `${first}/${second}` : first
}

/** The runners' own packages: a copy of fs loaded through them came from the run's set-up, whose order the user chooses. */
const RUNNERS = /^(?:mocha|vitest|@vitest\/.+|vite-node|jest|jest-.+|@jest\/.+|tinypool)$/

/**
 * Who loaded a copy of fs, when neither a file of the user's nor the runner is among those that
 * required it (following `module.parent` up to the module the process preloaded): the outermost
 * package of that chain (nyc, from its `wrap.js` in every test process). `undefined` when the
 * user's file or the runner loaded it, or the chain cannot be read: loading loopcop first is then
 * the fix.
 */
function preloadedBy(module: CachedModule | undefined, copy: string): string | undefined {
  let by: string | undefined
  for (let m = module?.parent, depth = 0; depth < 50; m = m.parent, depth++) {
    // The end of the chain: the module the process preloaded (`--require` in NODE_OPTIONS) or ran.
    if (m === undefined || m === null || typeof m.filename !== 'string' || m.filename === '') return by
    const pkg = packageOfFile(m.filename)
    if (pkg === undefined || RUNNERS.test(pkg)) return undefined
    if (pkg !== copy) by = pkg
  }
  return undefined
}

/** loopcop's own built files (`dist/esm/…`, `dist/cjs/…`), even when it is not in `node_modules`. */
const OWN_BUILD = /[\\/]dist[\\/](cjs|esm)[\\/](src|integrations)[\\/]/

/**
 * Reads the CommonJS module cache for what loaded before the calling integration. loopcop's own
 * files are never reported; `isOwn` tells which other files are the runner's (its config file).
 */
export function loadedBefore(isOwn: (file: string) => boolean = () => false, cwd = projectCwd()): LoadedBefore {
  let cache: Record<string, CachedModule | undefined>
  try {
    cache = createRequire(join(cwd, 'package.json')).cache
  } catch {
    return { copies: [], userFiles: [] }
  }
  const files = Object.keys(cache)
  const copies: string[] = []
  const preloaded: { copy: string; by: string }[] = []
  for (const name of FS_COPIES) {
    const loaded = files.filter((f) => f.includes(`${sep}node_modules${sep}${name}${sep}`))
    if (loaded.length === 0) continue
    // Loaded by a tool before the runner ran (each copy of the package, if there are several).
    const by = loaded.map((f) => preloadedBy(cache[f], name))
    const tool = by[0]
    if (tool !== undefined && by.every((b) => b === tool)) preloaded.push({ copy: name, by: tool })
    else copies.push(name)
  }
  const userFiles = files.filter((f) => !f.includes(`${sep}node_modules${sep}`) && !f.startsWith('node:') && !OWN_BUILD.test(f) && !isOwn(f)).map((f) => relative(cwd, f).split(sep).join('/'))
  return preloaded.length === 0 ? { copies, userFiles } : { copies, userFiles, preloaded }
}

/**
 * The warning for what `loadedBefore` found, or `undefined` when nothing was. `entry` is the
 * integration (`loopcop/mocha`), `fix` says where to put it first.
 */
export function loadOrderWarning(found: LoadedBefore, entry: string, fix: string): string | undefined {
  const what = [...found.userFiles.slice(0, 3), ...(found.userFiles.length > 3 ? [`${found.userFiles.length - 3} more`] : []), ...found.copies]
  const lines: string[] = []
  if (what.length > 0) {
    lines.push(
      `loopcop: ${what.join(', ')} ${what.length === 1 ? 'was' : 'were'} loaded before ${entry}: blocking calls through fs functions taken there ` +
        `(\`const { readFileSync } = require('fs')\`, ${found.copies.length > 0 ? `${found.copies.join(' and ')}'s copy of fs` : 'a copy of fs such as graceful-fs'}) are not seen. ${fix}`,
    )
  }
  for (const { copy, by } of found.preloaded ?? []) {
    // Where it is nyc: c8 measures coverage with V8's own, and loads nothing into the test process.
    const instead = by === 'nyc' ? ' c8 measures coverage without loading anything into the test process.' : ''
    lines.push(
      `loopcop: ${by} loaded ${copy} before the test run started, so before ${entry}: blocking calls the code under test makes through ${copy}'s copy of fs are not seen. ` +
        `No order of the run's set-up files changes that.${instead}`,
    )
  }
  return lines.length === 0 ? undefined : lines.join('\n')
}
