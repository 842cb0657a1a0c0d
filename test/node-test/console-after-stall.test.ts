// After a stall, the watchdog's inspector session must not outlive the probe: while a session is
// connected to a thread, Node hands every `console` call to V8's inspector, which keeps the last
// 1,000 messages with the values logged — a test suite's objects kept alive, and each call about
// twice as slow. The fixture spins, logging as it goes (the probe reads its stack through a
// session, so some of these are logged while one is open), logs more after, then checks that the
// garbage collector took every value logged.
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { fixtures } from '../helpers/run.js'
import { runNodeTest } from './support.js'

/** The shared fixture module whose loop stalls (test/fixtures/stall/console-after-stall.cjs): outside the project, so named by its absolute path. */
const spinner = join(fixtures, 'stall', 'console-after-stall.cjs')

describe.each([20, 24] as const)('Node %i', (node) => {
  test('values a test logs while a stall is caught and after it are collected', async () => {
    const run = await runNodeTest('console-after-stall', { name: `console-${node}`, node, args: ['--expose-gc'], env: { LOOPCOP_STALL_MS: '100' } })
    // The stall was read by the probe (its stack is there), so a session was opened.
    expect(run.report?.findings.filter((f) => f.kind === 'stall').map((f) => [f.test?.name, f.location?.file]), run.output).toEqual([['spins for 600 ms, logging as it goes', spinner]])
    expect(run.failed, run.output).toEqual([])
    expect(run.passed).toEqual(['idles while the watchdog starts', 'logs after the stall', 'spins for 600 ms, logging as it goes', 'what it logged is collected'])
  }, 60_000)
})
