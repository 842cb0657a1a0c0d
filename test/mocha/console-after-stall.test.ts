// After a stall, the watchdog's inspector session must not outlive the probe: while a session is
// connected to a thread, Node hands every call of its global `console` (what Mocha's reporters and
// a spec's own code use) to V8's inspector, which keeps the last 1,000 messages with the values
// logged, and makes each call about twice as slow. The fixture spins, logging as it goes (the probe
// reads its stack through a session, so some are logged while one is open), logs more after, then
// checks that the garbage collector took every value logged. The same on node:test:
// test/node-test/console-after-stall.test.ts.
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { fixtures } from '../helpers/run.js'
import { runMocha } from './support.js'

/** The shared fixture module whose loop stalls (test/fixtures/stall/console-after-stall.cjs): outside the project, so named by its absolute path. */
const spinner = join(fixtures, 'stall', 'console-after-stall.cjs')

const spin = 'console after a stall spins for 600 ms, logging as it goes'

test('values a spec logs while a stall is caught and after it are collected', async () => {
  const run = await runMocha('console-after-stall', ['--require', 'loopcop/mocha'], { name: 'console-after-stall', env: { LOOPCOP_STALL_MS: '100' }, nodeArgs: ['--expose-gc'] })
  // The stall was read by the probe (its stack is there), so a session was opened.
  expect(run.report?.findings.filter((f) => f.kind === 'stall').map((f) => [f.test?.name, f.location?.file]), run.output).toEqual([[spin, spinner]])
  expect(run.failed, run.output).toEqual([])
  expect(run.json.passes.map((p) => p.fullTitle).sort()).toEqual(['console after a stall collects what it logged', 'console after a stall idles while the watchdog starts', 'console after a stall logs after the stall', spin])
}, 60_000)
