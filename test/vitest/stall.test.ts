// Event-loop stalls (no blocking call at all) under the real Vitest, in both pools: `forks` (a main
// thread: the watchdog's probe reaches it directly) and `threads` (a worker thread: the probe is
// relayed to it by the main thread's inspector). The fixture's busy work is bounded by CPU time,
// 300 ms and more against the default 100 ms threshold, so a busy machine neither hides nor invents
// a stall.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { JsonFinding, JsonReport } from '../../src/index.js'
import { describeFindings } from '../helpers/stall.js'
import { type FixtureRun, type Pool, cleanRuns, marked, names, outcome, runFixture } from './support.js'

afterAll(cleanRuns)

const file = 'test/stall.test.ts'
const parse = '[blocks] parses a large JSON document'
const busy = '[blocks] crunches numbers in a busy loop'

/** The stall findings of a run report, as `test | location file | leak`, sorted. */
function stallsOf(report: JsonReport | undefined): string[] {
  return (report?.findings ?? [])
    .filter((f) => f.kind === 'stall')
    .map((f) => `${f.test?.name} | ${f.location?.file} | ${f.leak ? 'leak' : 'in test'}`)
    .sort()
}

const expectedStalls = [`${busy} | src/stall.ts | in test`, `${parse} | src/stall.ts | in test`]

describe.each<{ pool: Pool }>([{ pool: 'forks' }, { pool: 'threads' }])('pool: $pool', ({ pool }) => {
  describe("stallMode: 'fail' (configure() in a setup file)", () => {
    let run: FixtureRun
    beforeAll(async () => {
      run = await runFixture([file], { pool, report: true, env: { FIXTURE_CONFIGURE: JSON.stringify({ stallMode: 'fail' }) } })
    }, 240_000)

    test('the stalling tests fail; waiting, allowBlocking(), allowBlocking(fn) and stalls inside detect() pass', () => {
      expect(names(run, 'failed')).toEqual(marked(run, 'blocks'))
      expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
      expect(run.tests).toHaveLength(7)
      expect(run.result.code).toBe(1)
    })

    test('each failure says the loop stalled, against which threshold, and names the function', () => {
      for (const [name, fn] of [
        [parse, 'parseCatalog'],
        [busy, 'crunchNumbers'],
      ] as const) {
        const failure = outcome(run, name).failure
        expect(failure, name).toContain(`BlockingIOError: 1 event loop stall during "${name}"`)
        expect(failure, name).toMatch(/1\) event loop stalled \d+ ms(?: of CPU time \(\d+ ms of wall time\))? \(threshold 100 ms\)/)
        expect(failure, name).toMatch(new RegExp(`at ${fn} \\(.*src/stall\\.ts:\\d+:\\d+\\)`))
      }
    })

    test('the JSON report holds each stall once, and nothing else', () => {
      expect(stallsOf(run.report), describeFindings(run.report?.findings)).toEqual(expectedStalls)
      expect(run.report?.findings).toHaveLength(2)
      expect(new Set(run.report?.findings.map((f) => f.id)).size).toBe(2)
      for (const f of run.report?.findings ?? []) expect(f).toMatchObject({ kind: 'stall', allowed: false, test: { file } })
    })
  })

  describe("stallMode: 'fail' configured, LOOPCOP_STALL_MODE=warn (adopting: a run that fails nothing)", () => {
    let run: FixtureRun
    beforeAll(async () => {
      run = await runFixture([file], { pool, report: true, env: { FIXTURE_CONFIGURE: JSON.stringify({ stallMode: 'fail' }), LOOPCOP_MODE: 'warn', LOOPCOP_STALL_MODE: 'warn' } })
    }, 240_000)

    test('every test passes; each stall is in the report, judged in warn mode', () => {
      expect(names(run, 'failed')).toEqual([])
      expect(run.tests).toHaveLength(7)
      expect(run.result.code).toBe(0)
      expect(stallsOf(run.report), describeFindings(run.report?.findings)).toEqual(expectedStalls)
      expect(run.report?.findings.map((f) => f.mode)).toEqual(['warn', 'warn'])
    })
  })

  describe("stallMode: 'warn' (the default)", () => {
    let run: FixtureRun
    beforeAll(async () => {
      run = await runFixture([file], { pool, report: true })
    }, 240_000)

    test('every test passes, and each stall is printed with the function that stalled', () => {
      expect(names(run, 'failed')).toEqual([])
      expect(run.tests).toHaveLength(7)
      expect(run.result.code).toBe(0)
      const out = run.result.output
      for (const [name, fn] of [
        [parse, 'parseCatalog'],
        [busy, 'crunchNumbers'],
      ] as const) {
        expect(out).toMatch(new RegExp(`loopcop \\(warn\\): 1 event loop stall during "${escape(name)}"(?: \\(and [^)]* not judged\\))?\\n {2}1\\) event loop stalled \\d+ ms(?: of CPU time \\(\\d+ ms of wall time\\))? \\(threshold 100 ms\\) — break the work [^\\n]*\\n(?: +at .*\\n)*? +at ${fn} \\(src/stall\\.ts:`))
      }
      expect(out).not.toContain('during "[clean]')
      expect(out).not.toMatch(/during "(allowed|inside detect\(\)) > \[clean\]/)
    })

    test('the JSON report holds each stall once', () => {
      expect(stallsOf(run.report), describeFindings(run.report?.findings)).toEqual(expectedStalls)
      expect(run.report?.findings).toHaveLength(2)
    })
  })
})

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

// mobx (under Jest): a test's `toEqual` of large arrays stalled 0.4–2.7 s and was dropped unsaid
// whenever the one stack the watchdog read fell in the runner's `expect` (a built-in rule's
// machinery). Vitest's `expect` is @vitest/* machinery too: called by the test's own line, its stall is the test's.
test("a stall inside Vitest's expect, called by the test's own line, is the test's stall, not Vitest's machinery", async () => {
  const run = await runFixture(['test/expect-stall.test.ts'], { report: true })
  expect(names(run, 'failed'), run.result.output).toEqual([])
  const stalls = (run.report?.findings ?? []).filter((f) => f.kind === 'stall')
  expect(stalls.map((f) => [f.test?.name, `${f.location?.file}:${f.location?.line}`, f.allowed]), run.result.output).toEqual([['[stall] compares two large arrays', 'test/expect-stall.test.ts:21', false]])
  expect(stalls[0]?.stack[0]).toMatch(/node_modules\/(?:@vitest|vitest)\//)
}, 240_000)

// svelte: tests that spend seconds in dev mode's `get_stack()` (`new Error().stack` on every effect)
// were not reported: the probe landed in Vite's stack formatter, whose frames (Vite's module runner)
// made the stall look like module loading, and it was dropped; reported, its line was the generated one.
test('a stall spent reading stacks is the code’s that reads them, at its source line', async () => {
  const run = await runFixture(['test/stack-stall.test.ts'], { report: true })
  const stalls = (run.report?.findings ?? []).filter((f) => f.kind === 'stall')
  // A line of the loop (13–16 in the source): almost always the stack's read (14), where the time
  // goes; the loop's own line (13) when the probe was held over the CPU-time read (once, under load).
  const line = (f: JsonFinding): string => `${f.location?.file}:${(f.location?.line ?? 0) >= 13 && (f.location?.line ?? 0) <= 16 ? 'the loop' : f.location?.line}`
  expect(stalls.map((f) => [f.test?.name, line(f), f.allowed, f.judged !== false]).sort(), run.result.output).toEqual([
    ['[stall] reads stacks in a loop again', 'test/stack-stall.test.ts:the loop', false, true],
    ['[stall] reads stacks in a loop', 'test/stack-stall.test.ts:the loop', false, true],
  ])
}, 240_000)

// A test that imports a slow module amid its own work: Vite's module runner evaluates it, which the
// loading clock does not time. A probe landing there dropped the whole stall, and the 300 ms the
// test spent after the import went unreported (every run, on Node 20 and 24). Now the watchdog looks
// again, and the stall is what ran after the probe that found the test's own code; a module that
// loads slowly before brief work is still no stall. A module that loads in less than the threshold
// before brief work was a stall of the two together when the watchdog's first look came after the
// evaluation (every time for such a module; for a slower one, when the watchdog was short of CPU:
// CI's 588 ms stall at the import's line): now only what runs after the evaluation ends is the test's.
// Under `threads` the module runner's answer may come back within one heartbeat, so that the code
// before the import, the module's evaluation and the code after it fell in one gap (Vitest 5: a
// 515 ms stall at the line before the import, found by a probe there); the evaluation's end now
// ends the gap.
test.each(['forks', 'threads'] as const)("%s: a stall after a slow module's import is the test's, at its line; the import itself is no stall", async (pool) => {
  const run = await runFixture(['test/import-stall.test.ts'], { report: true, pool })
  expect(names(run, 'failed'), run.result.output).toEqual([])
  const stalls = (run.report?.findings ?? []).filter((f) => f.kind === 'stall')
  expect(stalls.map((f) => [f.test?.name, f.stack.find((frame) => frame.includes('test/import-stall.test.ts')), f.allowed]), run.result.output).toEqual([
    ['[stall] imports a slow module amid its own work', 'test/import-stall.test.ts:15:10', false],
  ])
}, 240_000)
