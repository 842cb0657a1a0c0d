// loopcop/vitest starts the stall watchdog's thread in its set-up, while Vitest loads the test file,
// not inside the file's first test: under `isolate` every file is a fresh process, and the thread's
// start (~25–35 ms of CPU) would otherwise land in its first test. Seen through thread ids: a worker
// the test file makes at its top level, before any test, comes after the watchdog's.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { cleanRuns, names, runFixture } from './support.js'

afterAll(cleanRuns)

const dir = mkdtempSync(join(tmpdir(), 'loopcop-watchdog-start-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function earlyThreadId(env: Record<string, string>): Promise<number> {
  const out = join(dir, `${Object.keys(env).join('-') || 'default'}.txt`)
  const run = await runFixture(['test/watchdog-start.test.ts'], { pool: 'forks', env: { FIXTURE_OUT: out, ...env } })
  expect(names(run, 'passed')).toEqual(['[clean] reads the thread id of a worker made while the file loaded'])
  return Number(readFileSync(out, 'utf8'))
}

test('with stall detection on, the watchdog thread exists before the test file has run any test; with it off, there is none', async () => {
  const off = await earlyThreadId({ LOOPCOP_STALL_MS: '0' })
  const on = await earlyThreadId({})
  expect(Number.isInteger(off)).toBe(true)
  expect(on).toBe(off + 1)
}, 240_000)
