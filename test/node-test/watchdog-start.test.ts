import { expect, test } from 'vitest'
import { runNodeTest } from './support.js'

// When the stall watchdog's thread starts in a test file's process: with loopcop, before the test
// file loads (its start then overlaps the loading, and a short file's process does not wait for it
// at its exit); not at all when a set-up module turns stall detection off; again when a scope's own
// options turn it back on. Never ahead of the tests in a process a test started with its options.
// Such a process is a test process only when its main module may use node:test.

// What the processes and the worker thread a test starts say (see the fixture's test file): a CLI's
// output is its own, and it started no watchdog; a test file's blocking test fails. Neither the CLI
// nor the worker thread loads loopcop's core, unless a set-up module they inherit does (one that
// imports `configure` from loopcop).
const spawned = (core: boolean): readonly string[] => [
  `a process a test started wrote: "watchdog: false, core: ${core}\\n"`,
  `a worker thread a test started loaded the core: ${core}`,
  'a test file a test ran: # fail 1, BlockingIOError',
]
const SPAWNED = spawned(false)

const diagnostics = async (name: string, options: { readonly preload?: readonly string[]; readonly env?: Record<string, string | undefined> }): Promise<readonly string[]> => {
  const run = await runNodeTest('watchdog-start', { name, ...options, env: { LOOPCOP_STALL_MS: undefined, ...options.env } })
  expect(run.failed, run.output).toEqual([])
  return run.tests.flatMap((t) => t.diagnostics)
}

test('stall detection on (the default): the watchdog runs before the test file loads', async () => {
  expect(await diagnostics('on', {})).toEqual(['watchdog at load: true', 'watchdog in the first test: true', ...SPAWNED])
})

test('LOOPCOP_STALL_MS=0: no watchdog is started', async () => {
  expect(await diagnostics('env-off', { env: { LOOPCOP_STALL_MS: '0' } })).toEqual(['watchdog at load: false', 'watchdog in the first test: false', ...SPAWNED])
})

test('configure({ stallMs: 0 }) in a set-up module after loopcop: the watchdog started ahead is stopped before the test file loads', async () => {
  expect(await diagnostics('configured-off', { preload: ['loopcop/node-test', './stalls-off.mjs'] })).toEqual(['watchdog at load: false', 'watchdog in the first test: false', ...spawned(true)])
})

test("stopped, it starts again for a scope whose own options watch stalls, and reads the stall's stack", async () => {
  const seen = await diagnostics('configured-off-detect', { preload: ['loopcop/node-test', './stalls-off.mjs'], env: { STALL_TEST: '1' } })
  expect(seen).toEqual(['watchdog at load: false', 'watchdog in the first test: false', ...spawned(true), 'stall: src/spin.js'])
})
