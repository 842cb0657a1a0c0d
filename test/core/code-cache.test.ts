// The ES-module build runs the CommonJS build's core through V8's code cache
// (src/runtime/code-cache.ts): the cache is used when it fits, never when it does not, and never
// from a folder someone else could have written it into. Each load runs in a process of its own,
// as in real use: V8 keeps what it compiled in memory, and a second load in the same process would
// be served from there whatever the file on disk holds.
import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { CACHE_MAX_FILES, type CacheLevel, type CacheState } from '../../src/runtime/code-cache.js'
import { CODE_CACHE_FOLDER } from '../helpers/code-cache.js'
import { root } from '../helpers/run.js'

let loader: string

beforeAll(() => {
  loader = join(mkdtempSync(join(tmpdir(), 'loopcop-code-cache-loader-')), 'code-cache.mjs')
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild')
  esbuild.buildSync({ entryPoints: [join(root, 'src', 'runtime', 'code-cache.ts')], outfile: loader, bundle: true, format: 'esm', platform: 'node', logLevel: 'error' })
})

afterAll(() => {
  rmSync(join(loader, '..'), { recursive: true, force: true })
})

interface Loaded {
  readonly cache: CacheState
  /** Whether saving could change nothing (no folder, or a cache at 'judged'): the core then asks for none. */
  readonly complete: boolean
  /** The file a stack frame of the loaded code names. */
  readonly frameFile: string
  readonly exports: { readonly self: boolean; readonly file: string; readonly dir: string; readonly sum: number; readonly patched?: boolean }
}

/**
 * Loads `source` with `build` in a new process (the cache folder under `TMPDIR`), and saves the
 * cache when `save` (`true`: at `'ran'`, as after a first test; or the levels, in turn).
 */
function loadCommonJs(file: string, build: string, save: boolean | readonly CacheLevel[] = false): Loaded {
  const levels = save === true ? ['ran'] : save === false ? [] : save
  const script = `import { loadCommonJs } from ${JSON.stringify(loader)}
const loaded = loadCommonJs(${JSON.stringify(file)}, ${JSON.stringify(build)})
for (const level of JSON.parse(process.env.SAVE)) loaded.saveCache(level)
const { add, where, ...exports } = loaded.exports
const frameFile = /\\((.*):\\d+:\\d+\\)/.exec(where().split('\\n')[1])?.[1]
console.log(JSON.stringify({ cache: loaded.cache, complete: loaded.complete, frameFile, exports: { ...exports, sum: add(20, 22) } }))`
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, TMPDIR: tmp, SAVE: JSON.stringify(levels) } })) as Loaded
}

const MODULE = `'use strict'
const { basename } = require('node:path')
exports.self = this === module.exports
exports.file = basename(__filename)
exports.dir = __dirname
exports.add = function add(a, b) { return a + b }
exports.where = function where() { return new Error('here').stack }
`

let work: string
/** The temporary folder the loads see (TMPDIR): the cache folder is made in it. */
let tmp: string
let source: string

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'loopcop-code-cache-test-'))
  tmp = join(work, 'tmp')
  mkdirSync(tmp)
  source = join(work, 'module.cjs')
  writeFileSync(source, MODULE)
})

afterEach(() => {
  rmSync(work, { recursive: true, force: true })
})

const cacheFolder = (): string => join(work, 'tmp', CODE_CACHE_FOLDER)
const cacheFiles = (): string[] => readdirSync(cacheFolder())

describe('loading a CommonJS file through the code cache', () => {
  test('runs it as require would, and uses the cache written after the first load', () => {
    const first = loadCommonJs(source, 'build1')
    expect(first).toEqual({ cache: 'miss', complete: false, frameFile: source, exports: { self: true, file: 'module.cjs', dir: work, sum: 42 } })
    // Nothing written unless asked (the core asks once its first test has run).
    expect(cacheFiles()).toEqual([])

    expect(loadCommonJs(source, 'build1', true).cache).toBe('miss')
    const [file, ...more] = cacheFiles()
    expect(more).toEqual([])
    // The user's own, readable by no one else.
    expect(statSync(join(cacheFolder(), file as string)).mode & 0o777).toBe(0o600)
    expect(statSync(cacheFolder()).mode & 0o777).toBe(0o700)

    const before = statSync(join(cacheFolder(), file as string)).mtimeMs
    const second = loadCommonJs(source, 'build1', true)
    expect(second).toEqual({ cache: 'hit', complete: false, frameFile: source, exports: first.exports })
    // A cache that was used is not written again.
    expect(cacheFiles()).toEqual([file])
    expect(statSync(join(cacheFolder(), file as string)).mtimeMs).toBe(before)
  })

  test('a cache written before any call was judged is written again, once, by the first process that judges one', () => {
    const cacheFile = (): string => join(cacheFolder(), cacheFiles()[0] as string)
    const levelAndTime = (): [number | undefined, number] => [readFileSync(cacheFile())[0], statSync(cacheFile()).mtimeMs]
    expect(loadCommonJs(source, 'build1', ['ran']).cache).toBe('miss')
    const ran = levelAndTime()
    expect(ran[0]).toBe(1)
    // Another process whose tests judge nothing leaves it; until one judges, saving could still help.
    expect(loadCommonJs(source, 'build1', ['ran'])).toMatchObject({ cache: 'hit', complete: false })
    expect(levelAndTime()).toEqual(ran)
    // One that judges a call writes it again, with what that compiled; it still loads as a hit after.
    expect(loadCommonJs(source, 'build1', ['ran', 'judged']).cache).toBe('hit')
    const judged = levelAndTime()
    expect(judged[0]).toBe(2)
    expect(judged[1]).toBeGreaterThanOrEqual(ran[1])
    expect(cacheFiles()).toHaveLength(1)
    // Complete now: the core asks for no save at all.
    const again = loadCommonJs(source, 'build1', ['ran', 'judged'])
    expect(again).toMatchObject({ cache: 'hit', complete: true, exports: { sum: 42 } })
    expect(levelAndTime()).toEqual(judged)
    // A process that wrote at 'ran' and judges later writes once more; asked twice, once.
    rmSync(cacheFile())
    expect(loadCommonJs(source, 'build1', ['ran', 'judged', 'judged', 'ran']).cache).toBe('miss')
    expect(readFileSync(cacheFile())[0]).toBe(2)
    expect(loadCommonJs(source, 'build1').cache).toBe('hit')
  })

  test('a cache V8 does not accept (a corrupt file) is rejected, the file still runs, and the cache is written anew', () => {
    loadCommonJs(source, 'build1', true)
    const [file] = cacheFiles()
    writeFileSync(join(cacheFolder(), file as string), Buffer.alloc(4096, 7))
    const rejected = loadCommonJs(source, 'build1', true)
    expect(rejected.cache).toBe('rejected')
    expect(rejected.exports.sum).toBe(42)
    expect(loadCommonJs(source, 'build1').cache).toBe('hit')
  })

  test('another build, or the file changed in place (a patch), does not use the old cache', () => {
    loadCommonJs(source, 'build1', true)
    expect(loadCommonJs(source, 'build1').cache).toBe('hit')
    expect(loadCommonJs(source, 'build2').cache).toBe('miss')
    writeFileSync(source, `${MODULE}exports.patched = true\n`)
    const patched = loadCommonJs(source, 'build1')
    expect(patched.cache).toBe('miss')
    expect(patched.exports.patched).toBe(true)
  })

  test('another install of the same build (same size and mtime, as npm pack leaves them) has a cache of its own, and its frames name its own file', () => {
    const other = join(work, 'other', 'module.cjs')
    mkdirSync(join(work, 'other'))
    writeFileSync(other, MODULE)
    const { atime, mtime } = statSync(source)
    utimesSync(other, atime, mtime)
    loadCommonJs(source, 'build1', true)
    // Node 20's V8 names a script from its cache by the path it was compiled from: a shared cache
    // would make these frames name the first install.
    const loaded = loadCommonJs(other, 'build1', true)
    expect(loaded).toMatchObject({ cache: 'miss', frameFile: other, exports: { dir: join(work, 'other') } })
    expect(cacheFiles()).toHaveLength(2)
    expect(loadCommonJs(other, 'build1')).toMatchObject({ cache: 'hit', frameFile: other })
    expect(loadCommonJs(source, 'build1')).toMatchObject({ cache: 'hit', frameFile: source })
  })

  test('writing a cache prunes the folder: caches older than a week, and the oldest beyond the most it keeps', () => {
    mkdirSync(cacheFolder(), { mode: 0o700 })
    const day = 24 * 60 * 60 * 1000
    const put = (name: string, ageMs: number): void => {
      writeFileSync(join(cacheFolder(), name), 'old')
      const at = new Date(Date.now() - ageMs)
      utimesSync(join(cacheFolder(), name), at, at)
    }
    put('core-stale-1.bin', 8 * day)
    for (let i = 0; i < CACHE_MAX_FILES + 5; i++) put(`core-recent-${String(i).padStart(2, '0')}.bin`, (i + 1) * 60_000)
    // Not loopcop's caches, or not files: left alone.
    put('notes.txt', 30 * day)
    mkdirSync(join(cacheFolder(), 'core-folder.bin'))

    // A load that finds no cache and writes one prunes.
    loadCommonJs(source, 'build1', true)
    const left = cacheFiles().sort()
    const written = left.filter((name) => /^core-build1-/.test(name))
    expect(written).toHaveLength(1)
    expect(left).not.toContain('core-stale-1.bin')
    expect(left).toContain('notes.txt')
    expect(left).toContain('core-folder.bin')
    // The newest ones stay, up to the most it keeps with the one just written.
    const recent = left.filter((name) => name.startsWith('core-recent-'))
    expect(recent).toEqual(Array.from({ length: CACHE_MAX_FILES - 1 }, (_, i) => `core-recent-${String(i).padStart(2, '0')}.bin`))

    // A load that uses its cache writes nothing, and prunes nothing.
    put('core-stale-2.bin', 8 * day)
    expect(loadCommonJs(source, 'build1', true).cache).toBe('hit')
    expect(cacheFiles()).toContain('core-stale-2.bin')
  })

  test('no cache from a folder others may write to, or from a link: the file runs without one, and nothing is written', () => {
    mkdirSync(cacheFolder(), { mode: 0o700 })
    chmodSync(cacheFolder(), 0o777)
    expect(loadCommonJs(source, 'build1', true).cache).toBe('off')
    expect(cacheFiles()).toEqual([])

    rmSync(cacheFolder(), { recursive: true })
    const elsewhere = join(work, 'elsewhere')
    mkdirSync(elsewhere, { mode: 0o700 })
    symlinkSync(elsewhere, cacheFolder())
    expect(loadCommonJs(source, 'build1', true).cache).toBe('off')
    expect(readdirSync(elsewhere)).toEqual([])

    // A folder of another user's (only root can make one here).
    if (process.getuid?.() === 0) {
      rmSync(cacheFolder())
      mkdirSync(cacheFolder(), { mode: 0o700 })
      chownSync(cacheFolder(), 12345, 12345)
      expect(loadCommonJs(source, 'build1', true).cache).toBe('off')
      expect(readdirSync(cacheFolder())).toEqual([])
    }
  })

  test('no usable temporary folder: the file runs without a cache', () => {
    tmp = join(work, 'missing', 'deeper')
    const loaded = loadCommonJs(source, 'build1', true)
    expect(loaded.cache).toBe('off')
    expect(loaded.complete).toBe(true)
    expect(loaded.exports.sum).toBe(42)
  })
})
