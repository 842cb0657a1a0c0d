// The process's detector (docs/architecture.md, "one detector per process"). The ESM and CJS
// builds, and Jest's per-file module registry, may each load a copy of loopcop's code; copies of
// one version share ONE detector, made by the first of them. It is kept where every copy and
// every realm reaches it: not on `globalThis` or `process` (Jest's test realm has its own), but on
// the `node:async_hooks` module object — builtin modules are the same objects in every realm.
import asyncHooks from 'node:async_hooks'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Detector } from './detector.js'
import { VERSION } from './version.js'

/** Where detectors are kept, by version. */
const PREFIX = 'loopcop.detector@'
const KEY = Symbol.for(`${PREFIX}${VERSION}`)
/** Set once the process was told that two versions of loopcop run in it. */
const WARNED = Symbol.for('loopcop.versionsWarned')

type Home = Record<symbol, unknown>

/**
 * This file's path, from a structured stack: formatting one through the runner's
 * `Error.prepareStackTrace` would make Jest read source maps for every copy loaded.
 */
function ownFile(): string | undefined {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- saved to be put back as it was, never called here
  const prepare = Error.prepareStackTrace
  try {
    Error.prepareStackTrace = (_error, sites) => sites
    const holder: { stack?: unknown } = {}
    Error.captureStackTrace(holder)
    const file = (holder.stack as NodeJS.CallSite[] | undefined)?.[0]?.getFileName() ?? undefined
    return file?.startsWith('file://') ? fileURLToPath(file) : file
  } catch {
    return undefined
  } finally {
    Error.prepareStackTrace = prepare
  }
}

/**
 * Where this copy's code lives: the build folder (`dist/esm`, `dist/cjs`, every module of the
 * build under it), or the repository root when running from the sources (this repository's own
 * tests); and the folders whose frames are loopcop's own: both builds, as the ES-module build
 * runs the CommonJS build's core (runtime/code-cache.ts) under its own entries.
 */
function whereIsThisCopy(): { readonly root: string | undefined; readonly ownRoots: readonly string[] } {
  const here = ownFile()
  if (here === undefined) return { root: undefined, ownRoots: [] }
  const build = /^((.*)[\\/]dist)[\\/](?:esm|cjs)[\\/]/.exec(here)
  if (build?.[1] !== undefined && build[2] !== undefined) {
    const root = here.slice(0, build[0].length - 1)
    // Runners that source-map stacks (Jest) turn build frames into their sources' paths.
    return { root, ownRoots: [join(build[1], 'esm'), join(build[1], 'cjs'), join(build[2], 'src'), join(build[2], 'integrations')] }
  }
  const root = dirname(dirname(here))
  return { root, ownRoots: [`${root}/src`, `${root}/integrations`] }
}

/** The versions of the other loopcop detectors in the process. */
function otherVersions(home: Home): string[] {
  const versions: string[] = []
  for (const key of Object.getOwnPropertySymbols(home)) {
    const name = key.description ?? ''
    if (key !== KEY && name.startsWith(PREFIX)) versions.push(name.slice(PREFIX.length))
    else if (name === 'loopcop') versions.push('0.1.0 or older')
  }
  return versions
}

/**
 * The detector of this process for this version: the one a copy of this version made first, or
 * a new one. A detector of another version is never used (its code may differ): that copy keeps
 * checking what its own integration runs, this one what ours runs, and the process is told once.
 */
function claim(): Detector {
  const home = asyncHooks as unknown as Home
  const existing = home[KEY]
  const { root, ownRoots } = whereIsThisCopy()
  // Not `instanceof`: a copy in Jest's test realm sees the detector the environment's realm made.
  if (typeof existing === 'object' && existing !== null && (existing as Partial<Detector>).version === VERSION) {
    const detector = existing as Detector
    for (const dir of ownRoots) detector.addOwnRoot(dir)
    return detector
  }
  const detector = new Detector({ version: VERSION, root })
  for (const dir of ownRoots) detector.addOwnRoot(dir)
  const others = otherVersions(home)
  Object.defineProperty(home, KEY, { value: detector, enumerable: false, configurable: true, writable: false })
  if (others.length > 0 && home[WARNED] !== true) {
    Object.defineProperty(home, WARNED, { value: true, enumerable: false, configurable: true, writable: false })
    process.stderr.write(
      `loopcop: two versions of loopcop run in this process (${VERSION} and ${others.join(', ')}): each checks only the tests of its own integration, and allowBlocking()/configure() of one do not reach the other. Install one version (npm ls loopcop).\n`,
    )
  }
  return detector
}

/** The detector of this process. */
export const detector: Detector = claim()
