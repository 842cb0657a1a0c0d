// What the end-to-end tests of V8's code cache of the core (src/runtime/code-cache.ts) check of the
// folder it keeps under a temporary folder: the first run writes one cache file, the next one
// reads it without writing.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'

/** The cache's folder under a temporary folder: one of the user's own (code-cache.ts `cachePath`). */
export const CODE_CACHE_FOLDER = `loopcop-${process.getuid?.() ?? 'user'}`

/** The cache as one run left it. */
export interface WrittenCache {
  readonly folder: string
  readonly files: readonly string[]
  readonly mtimeMs: number
}

/** Checks that the cache under `tmp` is one file, named as code-cache.ts names it, of a real size; returns it. */
export function expectOneCacheWritten(tmp: string): WrittenCache {
  const folder = join(tmp, CODE_CACHE_FOLDER)
  const files = readdirSync(folder)
  expect(files).toHaveLength(1)
  expect(files[0]).toMatch(/^core-[0-9a-f]{16}-[0-9a-z]{1,11}-\d+-\d+-v[\d.]+-\w+\.bin$/)
  const { mtimeMs, size } = statSync(join(folder, files[0] as string))
  expect(size).toBeGreaterThan(10_000)
  return { folder, files, mtimeMs }
}

/** Checks that a later run used the cache, not wrote it again (a cache V8 rejected, or one not found, would be written anew). */
export function expectCacheReused(written: WrittenCache): void {
  expect(readdirSync(written.folder)).toEqual(written.files)
  expect(statSync(join(written.folder, written.files[0] as string)).mtimeMs).toBe(written.mtimeMs)
}
