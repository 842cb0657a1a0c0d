// How the core's loader runs the core (docs/architecture.md, "loading the core"). Vitest runs
// every test file in a fresh thread or process, and each one parsed and compiled loopcop's ~180 KB
// core again: ~5 ms of the ~30 ms loopcop added per test file (bench/README.md, "Sixth pass").
// The package's `dist/cjs/src/core.js` (which `dist/esm/src/core.js` `require`s) runs the core's
// bundle (`dist/cjs/src/core-bundle.js`) through this file instead, with V8's code cache of it kept
// on disk: the compiled code of the core and of the functions the first test ran, read back in
// well under a millisecond.
import { lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Script } from 'node:vm'
import { writeFileAtomically } from './files.js'
import { textHash } from './hash.js'

/** What a load found in the cache: used, none there, there but not for this V8 (flags, version, source), or no cache folder to use. */
export type CacheState = 'hit' | 'miss' | 'rejected' | 'off'

/**
 * How far the code had run when a cache was written, and so what the cache holds compiled besides
 * the top level: the code of running tests (`'ran'`), or that and the code judging and reporting
 * their blocking calls (`'judged'`). A cache of a process whose first test was clean holds no
 * judging code: each later test file with findings compiled it again, ~1.9 ms of its worker's time
 * under Vitest (bench/README.md, "Twenty-fifth pass"); the first process that judges a call then
 * writes the cache again, once.
 */
export type CacheLevel = 'ran' | 'judged'

/** The cache file's first byte: the level it was written at (the rest is V8's data). */
const LEVEL_BYTE: Readonly<Record<CacheLevel, number>> = { ran: 1, judged: 2 }

/** A CommonJS file run through the code cache. */
export interface CachedModule {
  /** Its `module.exports`. */
  readonly exports: Record<string, unknown>
  /** What the load found in the cache. */
  readonly cache: CacheState
  /**
   * Whether `saveCache` would do nothing whatever it is asked: no cache folder to use, or a cache
   * written at `'judged'` already (every later process's case). The core then asks for no save.
   */
  readonly complete: boolean
  /**
   * Writes the code cache, with every function compiled so far, when the load found none it could
   * use, or one written at a lower level than `level` (once a level: later calls do nothing). Best
   * called once the code is warm (after the first test; `'judged'` after the first test whose
   * calls were judged). Never throws: a cache that cannot be written is only a slower next start.
   */
  saveCache(level: CacheLevel): void
}

/** Wraps the file's text as Node's CommonJS loader does (same lines; the first one's columns move). */
const WRAPPER_START = '(function (exports, require, module, __filename, __dirname) { '
const WRAPPER_END = '\n})'

/**
 * Loads the CommonJS file `file` (loopcop's own, requiring only Node's modules) in this thread's
 * main context, as `require` would, compiling it from the code cache when one was written for this
 * very file (`build` — the build's hash of it —, its path, size and modification time), this Node and
 * architecture. V8 checks the cache itself (its version, its flags, the source's length) and
 * rejects one that does not fit; a rejected cache is written anew.
 * The cache lives in a folder of the user's own under the system's temporary folder; a folder
 * that others may write to (a planted cache would be run as code) means no cache at all.
 */
export function loadCommonJs(file: string, build: string): CachedModule {
  const source = readFileSync(file, 'utf8')
  const cacheFile = cachePath(file, build)
  const read = cacheFile === undefined ? undefined : readCache(cacheFile)
  const script = new Script(`${WRAPPER_START}${source}${WRAPPER_END}`, { filename: file, ...(read !== undefined && { cachedData: read.data }) })
  const cache: CacheState = cacheFile === undefined ? 'off' : read === undefined ? 'miss' : script.cachedDataRejected === true ? 'rejected' : 'hit'
  const module = { exports: {} as Record<string, unknown> }
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file))
  // The level of the cache on disk as this process knows it (0: none it could use).
  let written = cache === 'hit' && read !== undefined ? read.level : 0
  return {
    exports: module.exports,
    cache,
    complete: cacheFile === undefined || written >= LEVEL_BYTE.judged,
    saveCache: (level) => {
      const rank = LEVEL_BYTE[level]
      if (cacheFile === undefined || !(rank > written)) return
      written = rank
      writeCache(cacheFile, script, rank)
    },
  }
}

/** The cache file for `file` here, or undefined when there is no safe folder for it. */
function cachePath(file: string, build: string): string | undefined {
  try {
    const dir = cacheDir()
    if (dir === undefined) return undefined
    const { size, mtimeMs } = statSync(file)
    // V8 flags are not in the name (V8 checks them): a flag that differs from run to run (a path
    // in `--require`) would leave a new file every run. The file's path is: two installs of one
    // build (a monorepo's packages; `npm pack` gives every file the same mtime) must not share a
    // cache, because Node 20's V8 names the script by the path it was compiled from, not the one
    // given — loopcop's frames would name the other install, and its own frames would no longer
    // be told from the user's.
    return join(dir, `core-${build}-${textHash(file)}-${size}-${Math.trunc(mtimeMs)}-${process.version}-${process.arch}.bin`)
  } catch {
    return undefined
  }
}

/**
 * `loopcop-<uid>` under the temporary folder, made if absent: a folder (not a link), the user's
 * own, that no one else may write to; else undefined.
 */
function cacheDir(): string | undefined {
  const uid = process.getuid?.()
  const dir = join(tmpdir(), `loopcop-${uid ?? 'user'}`)
  let stat = lstatSync(dir, { throwIfNoEntry: false })
  if (stat === undefined) {
    mkdirSync(dir, { mode: 0o700 })
    stat = lstatSync(dir)
  }
  if (!stat.isDirectory()) return undefined
  if (uid !== undefined && (stat.uid !== uid || (stat.mode & 0o022) !== 0)) return undefined
  return dir
}

/** A cache file's V8 data and level (0: a first byte that is no level, whose data V8 will reject). */
function readCache(cacheFile: string): { readonly data: Buffer; readonly level: number } | undefined {
  let bytes: Buffer
  try {
    bytes = readFileSync(cacheFile)
  } catch {
    return undefined
  }
  const level = bytes[0] ?? 0
  return level === LEVEL_BYTE.ran || level === LEVEL_BYTE.judged ? { data: bytes.subarray(1), level } : { data: bytes, level: 0 }
}

/** Writes the cache atomically, readable by its owner only, and prunes the folder; any failure is dropped (the next start compiles without it). */
function writeCache(cacheFile: string, script: Script, level: number): void {
  try {
    writeFileAtomically(cacheFile, Buffer.concat([Buffer.of(level), script.createCachedData()]), 0o600)
    pruneCaches(dirname(cacheFile), cacheFile)
  } catch {
    // Nothing more to do: a cache is only a faster start.
  }
}

/** Caches older than this are removed when a new one is written (a cache in use is rewritten after a miss). */
export const CACHE_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000
/** At most this many caches are kept (the newest): one is written per build, install, Node version and architecture. */
export const CACHE_MAX_FILES = 32

/**
 * Removes the folder's caches written more than `CACHE_MAX_AGE_MS` ago, and the oldest beyond
 * `CACHE_MAX_FILES`, never `keep`. Only on a write (a miss: once per build, install, Node and
 * architecture), so a load that finds its cache does no more than read it. A cache removed while
 * still in use only makes its next start compile the core again, and write it anew.
 */
function pruneCaches(dir: string, keep: string): void {
  const now = Date.now()
  const caches: { readonly file: string; readonly mtimeMs: number }[] = []
  for (const name of readdirSync(dir)) {
    if (!/^core-.+\.bin$/.test(name)) continue
    const file = join(dir, name)
    if (file === keep) continue
    const stat = lstatSync(file, { throwIfNoEntry: false })
    if (stat?.isFile() !== true) continue
    if (now - stat.mtimeMs > CACHE_MAX_AGE_MS) rmSync(file, { force: true })
    else caches.push({ file, mtimeMs: stat.mtimeMs })
  }
  caches.sort((a, b) => b.mtimeMs - a.mtimeMs)
  for (const old of caches.slice(CACHE_MAX_FILES - 1)) rmSync(old.file, { force: true })
}
