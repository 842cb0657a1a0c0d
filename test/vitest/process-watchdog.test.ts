// One stall watchdog per process: under Vitest's `threads` pool every test file runs in a worker
// thread of its own, and each would otherwise start a watchdog thread (~20–30 ms of CPU per file).
// The test workers have the main thread start one watchdog, once, and register with it; it catches
// the stalls of every file, each charged to its test and judged by its stack.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { cleanRuns, runFixture } from './support.js'

afterAll(cleanRuns)

const dir = mkdtempSync(join(tmpdir(), 'loopcop-process-watchdog-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const files = ['test/process-watchdog-1.test.ts', 'test/process-watchdog-2.test.ts']

test('two test files in two worker threads share one watchdog, kept by the main thread, which catches the stall of each', async () => {
  const out = join(dir, 'seen')
  const run = await runFixture(files, { pool: 'threads', report: true, args: ['--no-file-parallelism'], env: { FIXTURE_OUT: out } })
  const stalls = (run.report?.findings ?? []).filter((f) => f.kind === 'stall')
  expect(stalls.map((s) => [s.test?.file, s.test?.name, s.unjudged, s.location?.file]).sort()).toEqual(files.map((file) => [file, '[stalls] crunches numbers', undefined, 'src/stall.ts']))
  expect(run.tests.filter((t) => t.name.includes('[clean]')).map((t) => t.status)).toEqual(['passed', 'passed'])
  const seen = files.map((file) => JSON.parse(readFileSync(`${out}-${file.slice('test/'.length)}.json`, 'utf8')) as { threadId: number; watchdog: unknown })
  const [first, second] = seen as [(typeof seen)[number], (typeof seen)[number]]
  expect(first.threadId).not.toBe(second.threadId)
  expect(typeof first.watchdog).toBe('number')
  expect(second.watchdog).toBe(first.watchdog)
  expect([first.threadId, second.threadId]).not.toContain(first.watchdog)
}, 240_000)
