// The CommonJS build runs its core through V8's code cache too (src/runtime/code-cache.ts; the
// loader is written by scripts/build.mjs), as a Mocha user gets it from the tarball: the first run
// writes the cache into a folder of the user's own under the temporary folder once a test has run,
// the next one reads it and finds exactly the same. (Without a usable folder the core runs without
// a cache: test/core/code-cache.test.ts.)
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { expectCacheReused, expectOneCacheWritten } from '../helpers/code-cache.js'
import { installed } from '../helpers/run.js'
import { type MochaRun, runMocha } from './support.js'

const work = mkdtempSync(join(tmpdir(), 'loopcop-code-cache-mocha-'))

afterAll(() => {
  rmSync(work, { recursive: true, force: true })
})

const cjs = join(installed, 'dist', 'cjs', 'integrations', 'mocha', 'index.js')
const args = ['--require', cjs, '--no-config', '--require', './loopcop.setup.cjs', '--timeout', '30000', 'test/*.spec.js', 'test/*.spec.mjs']

/** What the `suite` fixture's run finds, as the builds test has it. */
function expectFound(run: MochaRun): void {
  expect(run.json.stats).toMatchObject({ tests: 25, passes: 15, failures: 10 })
  expect(run.report?.summary).toMatchObject({ findings: 12, tests: 11 })
}

test('the first run writes the cache, the next one uses it, and both find the same', async () => {
  const tmp = join(work, 'tmp')
  mkdirSync(tmp)

  const first = await runMocha('suite', args, { name: 'code-cache-1', env: { TMPDIR: tmp } })
  expectFound(first)
  const written = expectOneCacheWritten(tmp)

  const second = await runMocha('suite', args, { name: 'code-cache-2', env: { TMPDIR: tmp } })
  expectFound(second)
  expect(second.failed).toEqual(first.failed)
  for (const title of first.failed) expect(second.message(title)).toContain('blocking')
  expectCacheReused(written)
}, 240_000)
