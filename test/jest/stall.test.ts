import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { fixtures } from '../helpers/run.js'
import { nameStallSites } from '../helpers/stall.js'
import { type JestRun, essentials, runJest } from './support.js'

// The `stall` fixture: event-loop stalls without any blocking call (a large JSON.parse, a busy loop
// bounded by CPU time, 300 ms and more against the default 100 ms threshold), a test that only
// waits, and both forms of allowBlocking(). `stallMode` comes through Jest's own option channel,
// `testEnvironmentOptions.loopcop`.

const parse = 'stalls: parses a large JSON document'
const busy = 'stalls: crunches numbers in a busy loop'

const sites = (text: string): string => nameStallSites(join(fixtures, 'jest', 'stall', 'src', 'stall.js'), text)

/**
 * The frames under each stall, named as V8 names them (loopcop reads the names from V8, not from
 * Jest's source-map formatter, which would name each frame after the call made on its line): the
 * pause lands in countItems (the first call after the parse), under parseCatalog, under the test
 * function. In failure messages Jest's frames read `in`, not `at`.
 */
function frames(word: 'at' | 'in'): Record<string, RegExp> {
  return {
    [parse]: new RegExp(`\\n\\s+${word} countItems \\(src/stall\\.js:<first call after the parse>\\)\\n\\s+${word} parseCatalog \\(src/stall\\.js:<after the parse>\\)\\n\\s+${word} Object\\.<anonymous> \\(tests/stall\\.test\\.js:\\d+:\\d+\\)\\n`),
    [busy]: new RegExp(`\\n\\s+${word} crunchNumbers \\(src/stall\\.js:<busy loop>\\)\\n\\s+${word} Object\\.<anonymous> \\(tests/stall\\.test\\.js:\\d+:\\d+\\)\\n`),
  }
}

const expectedReport = [
  `tests/stall.test.js | ${busy} | stall | src/stall.js:<busy loop> | blocking |  | ×1`,
  `tests/stall.test.js | ${parse} | stall | src/stall.js:<first call after the parse> | blocking |  | ×1`,
]

describe("stallMode: 'fail' (testEnvironmentOptions.loopcop)", () => {
  let run: JestRun
  beforeAll(async () => {
    run = await runJest('stall', ['--testEnvironmentOptions', JSON.stringify({ loopcop: { stallMode: 'fail' } })])
  })

  test('the stalling tests fail; waiting, allowBlocking() and allowBlocking(fn) pass', () => {
    expect(run.json.numRuntimeErrorTestSuites).toBe(0)
    expect(run.failed).toEqual([busy, parse])
    expect(run.passed).toEqual([
      'allowed clean: allowBlocking() covers a stall in the rest of the test',
      'allowed clean: allowBlocking(fn) covers a stall inside fn',
      'clean: only waits on timers and promises',
    ])
  })

  test('each failure says the loop stalled, against which threshold, and where', () => {
    for (const name of [parse, busy]) {
      const [message, ...more] = run.test(name).failureMessages
      expect(more, name).toEqual([])
      expect(message, name).toMatch(new RegExp(`^BlockingIOError: 1 event loop stall during "${name}"(?: \\(and [^)]* not judged\\))?\\n {2}1\\) event loop stalled \\d+ ms(?: of CPU time \\(\\d+ ms of wall time\\))? \\(threshold 100 ms\\) — break the work [^\\n]*\\n`))
      expect(sites(message!), name).toMatch(frames('in')[name]!)
    }
  })

  test('the JSON report holds each stall once, and nothing else', () => {
    expect(essentials(run.report).map(sites)).toEqual(expectedReport)
    expect(new Set(run.report?.findings.map((f) => f.id)).size).toBe(2)
    expect(run.report?.summary).toMatchObject({ findings: 2, tests: 2 })
  })
})

describe("stallMode: 'fail' in testEnvironmentOptions, LOOPCOP_STALL_MODE=warn (adopting: a run that fails nothing)", () => {
  let run: JestRun
  beforeAll(async () => {
    run = await runJest('stall', ['--testEnvironmentOptions', JSON.stringify({ loopcop: { stallMode: 'fail' } })], { env: { LOOPCOP_MODE: 'warn', LOOPCOP_STALL_MODE: 'warn' } })
  })

  test('every test passes; each stall is in the report, judged in warn mode', () => {
    expect(run.failed).toEqual([])
    expect(run.passed).toHaveLength(5)
    expect(run.code).toBe(0)
    expect(essentials(run.report).map(sites)).toEqual(expectedReport)
    expect(run.report?.findings.map((f) => f.mode)).toEqual(['warn', 'warn'])
  })
})

describe("stallMode: 'warn' (the default)", () => {
  let run: JestRun
  beforeAll(async () => {
    run = await runJest('stall')
  })

  test('every test passes, and each stall is printed with the test file, naming where it stalled', () => {
    expect(run.failed).toEqual([])
    expect(run.passed).toHaveLength(5)
    expect(run.code).toBe(0)
    const out = sites(run.output)
    for (const name of [parse, busy]) {
      const warning = out.slice(out.indexOf(`loopcop (warn): 1 event loop stall during "${name}"`))
      expect(warning, name).toMatch(/^loopcop \(warn\): .*\n\s+1\) event loop stalled \d+ ms(?: of CPU time \(\d+ ms of wall time\))? \(threshold 100 ms\) — break the work [^\n]*\n/)
      expect(warning, name).toMatch(frames('at')[name]!)
    }
    expect(out).toMatch(/console\.warn\n\s+loopcop \(warn\): 1 event loop stall during "stalls: /)
    expect(out).not.toMatch(/during "(allowed )?clean:/)
  })

  test('the JSON report holds each stall once', () => {
    expect(essentials(run.report).map(sites)).toEqual(expectedReport)
    expect(run.report?.summary).toMatchObject({ findings: 2, tests: 2 })
  })
})

// mobx: a test's `expect(array).toEqual(…)` of large arrays stalled 0.4–2.7 s, and was dropped unsaid
// whenever the one stack the watchdog read fell in Jest's `expect` (a built-in rule's machinery),
// reported when it fell in mobx's code. Machinery the test's own line called is the test's work.
test("a stall inside Jest's expect, called by the test's own line, is the test's stall, not Jest's machinery", async () => {
  const run = await runJest('stall', ['--testMatch', '**/assertions/**/*.test.js'])
  expect(run.failed, run.output).toEqual([])
  expect(run.passed).toEqual(['compares two large arrays'])
  const stalls = (run.report?.findings ?? []).filter((f) => f.kind === 'stall')
  expect(stalls.map((f) => [f.test?.name, `${f.location?.file}:${f.location?.line}`, f.allowed]), run.output).toEqual([['compares two large arrays', 'assertions/expect.test.js:20', false]])
  // Caught inside the equality of Jest's expect (its @jest/expect-utils), below the test's line.
  expect(stalls[0]?.stack[0]).toMatch(/node_modules\/(?:expect|@jest\/expect-utils)\//)
}, 240_000)

// A test that requires a slow module amid its own work: Jest's runtime loads it, which the loading
// clock (Node's Module._load) does not time. A probe landing there dropped the whole stall, and the
// 300 ms the test spent after the require went unreported. Now the watchdog looks again, and the
// stall is what ran after the probe that found the test's own code; a module that loads slowly
// before brief work is still no stall.
test("a stall after a slow module's require is the test's, at its line; the require itself is no stall", async () => {
  const run = await runJest('stall', ['--testMatch', '**/loading/**/*.test.js'])
  expect(run.failed, run.output).toEqual([])
  const stalls = (run.report?.findings ?? []).filter((f) => f.kind === 'stall')
  expect(stalls.map((f) => [f.test?.name, f.stack.find((frame) => frame.includes('loading/require.test.js')), f.allowed]), run.output).toEqual([
    ['requires a slow module amid its own work', expect.stringMatching(/^Object\.<anonymous> \(loading\/require\.test\.js:(?:11|8):\d+\)$/), false],
  ])
}, 240_000)
