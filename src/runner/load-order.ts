// What loaded before loopcop and will keep using fs functions loopcop never sees: a user's setup
// file that took `const { readFileSync } = require('fs')`. Patching fs cannot reach such a binding;
// loading loopcop first avoids it. Only what the CommonJS module cache shows can be detected. (The
// copies of fs that packages took when they loaded, graceful-fs's and fs-extra's, are reached:
// intercept/fs-copies.ts.)
import { relative, sep } from 'node:path'
import { projectCwd } from '../runtime/cwd.js'
import { moduleCache } from '../runtime/module-cache.js'
import { isDependency } from '../runtime/packages.js'

/** What the module cache held when a loopcop integration loaded. */
export interface LoadedBefore {
  /** The user's own modules already loaded (outside `node_modules`), relative to the working directory. */
  readonly userFiles: readonly string[]
}

/** loopcop's own built files (`dist/esm/…`, `dist/cjs/…`), even when it is not in `node_modules`. */
const OWN_BUILD = /[\\/]dist[\\/](cjs|esm)[\\/](src|integrations)[\\/]/

/**
 * Modules that hold no fs function of their own: JSON and native addons, and the shim of
 * spawn-wrap (nyc 14 and older: `~/.node-spawn-wrap-<pid>-<hash>/node` and its `settings.json`),
 * which runs before any file of the user's. jsonwebtoken's `nyc mocha` named them at every run.
 */
const HOLDS_NO_FS = /(?:\.json|\.node|[\\/]\.node-spawn-wrap-[^\\/]+[\\/].*)$/

/**
 * Reads the CommonJS module cache for what loaded before the calling integration. loopcop's own
 * files are never reported; `isOwn` tells which other files are the runner's (its config file).
 */
export function loadedBefore(isOwn: (file: string) => boolean = () => false, cwd = projectCwd()): LoadedBefore {
  const cache = moduleCache(cwd)
  const files = Object.keys(cache)
  // The script Node was started with, when it required loopcop itself (a runner script calling
  // `mocha.run()`, loopcop/mocha on its first line: handlebars'): it cannot load after loopcop.
  const starter = files.some((f) => OWN_BUILD.test(f) && cache[f]?.parent?.id === '.') ? files.find((f) => cache[f]?.id === '.') : undefined
  const userFiles = files
    .filter((f) => f !== starter && !isDependency(f) && !f.startsWith('node:') && !OWN_BUILD.test(f) && !HOLDS_NO_FS.test(f) && !isOwn(f))
    // Named as reports name files: relative inside the project, absolute outside it.
    .map((f) => {
      const rel = relative(cwd, f)
      return rel.startsWith('..') ? f : rel.split(sep).join('/')
    })
  return { userFiles }
}

/**
 * The warning for what `loadedBefore` found, or `undefined` when nothing was. `entry` is the
 * integration (`loopcop/mocha`), `fix` says where to put it first.
 */
export function loadOrderWarning(found: LoadedBefore, entry: string, fix: string): string | undefined {
  const what = [...found.userFiles.slice(0, 3), ...(found.userFiles.length > 3 ? [`${found.userFiles.length - 3} more`] : [])]
  if (what.length === 0) return undefined
  return (
    `loopcop: ${what.join(', ')} ${what.length === 1 ? 'was' : 'were'} loaded before ${entry}: blocking calls through fs functions taken there ` +
    `(\`const { readFileSync } = require('fs')\`) are not seen. ${fix}`
  )
}
