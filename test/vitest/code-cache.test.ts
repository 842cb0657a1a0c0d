// The ES-module build runs its core through V8's code cache (src/runtime/code-cache.ts), as a user
// gets it from the tarball: the first run writes the cache into a folder of the user's own under
// the temporary folder, the next runs read it and find exactly the same; no usable folder, and
// loopcop works as before.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { type WrittenCache, expectCacheReused, expectOneCacheWritten } from '../helpers/code-cache.js'
import { type FixtureRun, cleanRuns, marked, names, runFixture } from './support.js'

const work = mkdtempSync(join(tmpdir(), 'loopcop-code-cache-e2e-'))

afterAll(() => {
  cleanRuns()
  rmSync(work, { recursive: true, force: true })
})

const files = ['test/blocking.test.ts']

/** The blocking tests failed and the clean ones passed, with the call and its line. */
function expectFound(run: FixtureRun): void {
  expect(names(run, 'failed')).toEqual(marked(run, 'blocks'))
  expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
  expect(names(run, 'failed').length).toBeGreaterThan(0)
  for (const t of run.tests.filter((x) => x.status === 'failed')) expect(t.failure, t.name).toContain('BlockingIOError')
}

describe.each(['threads', 'forks'] as const)('pool: %s, loopcop loaded by Node from node_modules', (pool) => {
  test('the first run writes the cache, the next one uses it, and both find the same', async () => {
    const tmp = join(work, pool)
    mkdirSync(tmp)
    const env = { TMPDIR: tmp, FIXTURE_EXTERNAL: '1' }

    const first = await runFixture(files, { pool, env })
    expectFound(first)
    const written = expectOneCacheWritten(tmp)

    const second = await runFixture(files, { pool, env })
    expectFound(second)
    expect(second.tests.map((t) => [t.name, t.status])).toEqual(first.tests.map((t) => [t.name, t.status]))
    expectCacheReused(written)
  }, 480_000)
})

test('a cache written by a run that judged no call is written again, once, by the first run that judges one', async () => {
  const tmp = join(work, 'levels')
  mkdirSync(tmp)
  const env = { TMPDIR: tmp, FIXTURE_EXTERNAL: '1' }
  // The cache file's first byte is how far the code had run when it was written (code-cache.ts):
  // 1, a test had run; 2, a test whose blocking calls were judged.
  const level = (cache: WrittenCache): number | undefined => readFileSync(join(cache.folder, cache.files[0] as string))[0]

  const clean = await runFixture(files, { pool: 'forks', env, args: ['-t', '\\[clean\\]'] })
  expect(names(clean, 'passed')).toEqual(marked(clean, 'clean'))
  expect(names(clean, 'failed')).toEqual([])
  const ran = expectOneCacheWritten(tmp)
  expect(level(ran)).toBe(1)

  const judging = await runFixture(files, { pool: 'forks', env })
  expectFound(judging)
  const judged = expectOneCacheWritten(tmp)
  expect(level(judged)).toBe(2)
  expect(judged.mtimeMs).toBeGreaterThan(ran.mtimeMs)

  const again = await runFixture(files, { pool: 'forks', env })
  expectFound(again)
  expectCacheReused(judged)
}, 480_000)

test('no usable temporary folder: no cache, the same findings', async () => {
  const run = await runFixture(files, { pool: 'threads', env: { TMPDIR: join(work, 'not', 'there'), FIXTURE_EXTERNAL: '1' } })
  expectFound(run)
}, 240_000)
