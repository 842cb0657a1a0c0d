import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { type JestRun, runJest } from './support.js'

// The `listening` fixture: a custom environment that listens to jest-circus's events itself (it
// records them, and waits a turn at each `test_done`), run without loopcop and wrapped with
// `withLoopcop`. Jest 30 calls loopcop's handler folded into its own (integrations/jest/handlers.ts):
// one handler fewer for each event, nothing else different.
describe('withLoopcop(an environment with its own handleTestEvent)', () => {
  const runs: Record<'plain' | 'loopcop', { run: JestRun; events: string[]; handlers: string[] }> = {} as never
  beforeAll(async () => {
    for (const kind of ['plain', 'loopcop'] as const) {
      const tmp = mkdtempSync(join(tmpdir(), `loopcop-listening-${kind}-`))
      const events = join(tmp, 'events.json')
      const handlers = join(tmp, 'handlers.json')
      const run = await runJest('listening', ['--maxWorkers=1'], { env: { LISTENING_PLAIN: kind === 'plain' ? '1' : '0', LISTENING_EVENTS: events, LISTENING_HANDLERS: handlers } })
      runs[kind] = { run, events: JSON.parse(readFileSync(events, 'utf8')) as string[], handlers: JSON.parse(readFileSync(handlers, 'utf8')) as string[] }
    }
  })

  test('the environment\'s own listener gets every event, in the same order, and each test function of the same name and length, with loopcop as without', () => {
    const { plain, loopcop } = runs
    // Sync events (each test's `add_test`) and async ones alike.
    expect(plain.events).toEqual(
      expect.arrayContaining(['add_test: blocks', 'test_fn_start: blocks ("", 0)', 'test_fn_start: done callback ("", 1)', 'test_fn_start: named function ("namedTest", 0)', 'test_done: clean', 'run_finish']),
    )
    // The test functions Jest calls look as they did (name, length): loopcop's wrappers.
    expect(loopcop.events).toEqual(plain.events)
  })

  test('the tests end as they would, and the blocking one fails with loopcop\'s error', () => {
    const { plain, loopcop } = runs
    expect(plain.run.failed).toEqual(['expects two assertions, makes one'])
    expect(loopcop.run.failed).toEqual(['blocks', 'expects two assertions, makes one'])
    expect(loopcop.run.passed).toEqual(['clean', 'done callback', 'handlers', 'named function'])
    expect(loopcop.run.test('blocks').failureMessages[0]).toMatch(/^BlockingIOError: 1 blocking operation on the event loop during "blocks"/)
    // The errors jest-circus adds at `test_done` (from the handler before loopcop's) are there.
    expect(loopcop.run.test('expects two assertions, makes one').failureMessages.join('\n')).toContain('Expected two assertions to be called but received one assertion call.')
  })

  test('on Jest 30, loopcop adds no handler of its own to jest-circus', () => {
    const { plain, loopcop } = runs
    // Without loopcop, the environment's listener is jest-circus's handler `bound handleTestEvent`.
    expect(plain.handlers).toContain('bound handleTestEvent')
    expect(loopcop.handlers).not.toContain('bound handleTestEvent')
    expect(loopcop.handlers).toHaveLength(plain.handlers.length - 1)
  })
})
