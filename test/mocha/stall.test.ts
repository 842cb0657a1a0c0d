import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import type { JsonFinding, JsonReport } from '../../src/index.js'
import { describeFindings, nameStallSites } from '../helpers/stall.js'
import { type MochaRun, mochaFixtures, runMocha } from './support.js'

// The stall fixture: event-loop stalls without any blocking call (a large JSON.parse, a busy loop
// bounded by CPU time, 300 ms and more against the default 100 ms threshold), a test that only
// waits, and both forms of allowBlocking() (in a second spec file, so `--parallel` spreads the
// files over two workers). `stallMode` comes from configure() in the fixture's required setup file.

const parse = 'stalls parses a large JSON document'
const busy = 'stalls crunches numbers in a busy loop'

const sites = (text: string): string => nameStallSites(join(mochaFixtures, 'stall', 'src', 'stall.js'), text)

/** The frames under each stall: the watchdog's pause lands in the first call after the native parse, or on a line of the loop. */
const frames: Record<string, RegExp> = {
  [parse]: /\n\s+at countItems \(src\/stall\.js:<first call after the parse>\)\n\s+at parseCatalog \(src\/stall\.js:<after the parse>\)\n/,
  [busy]: /\n\s+at crunchNumbers \(src\/stall\.js:<busy loop>\)\n/,
}

function stallsOf(report: JsonReport | undefined): string[] {
  const where = (f: JsonFinding): string => sites(`${f.location?.file}:${f.location?.line}`)
  return (report?.findings ?? []).map((f) => `${f.kind} | ${f.test?.name} | ${f.test?.file} | ${where(f)} | ${f.allowed ? 'allowed' : 'blocking'}${f.leak ? ' | leak' : ''}`).sort()
}

const expectedReport = [
  `stall | ${busy} | test/stall.spec.js | src/stall.js:<busy loop> | blocking`,
  `stall | ${parse} | test/stall.spec.js | src/stall.js:<first call after the parse> | blocking`,
]

// runMocha turns stall detection off unless asked (LOOPCOP_STALL_MS=0): an empty variable is no override.
const stallsOn = { LOOPCOP_STALL_MS: '' }

/** A preload that says which thread loaded it. */
const preload = join(mochaFixtures, 'stall', 'preload.cjs')

describe.each([
  { mode: 'serial', args: [] },
  { mode: '--parallel', args: ['--parallel', '--jobs', '2'] },
])('$mode', ({ mode, args }) => {
  const name = (stallMode: string): string => `stall-${stallMode}-${mode.replace(/\W+/g, '')}`

  describe("stallMode: 'fail' (configure() in a required setup file)", () => {
    let run: MochaRun
    beforeAll(async () => {
      run = await runMocha('stall', args, { name: name('fail'), env: { ...stallsOn, FIXTURE_STALL_MODE: 'fail' } })
    })

    test('the stalling tests fail; waiting, allowBlocking() and allowBlocking(fn) pass', () => {
      expect(run.failed).toEqual([busy, parse])
      expect(run.json.stats).toMatchObject({ tests: 5, passes: 3, failures: 2 })
      expect(run.json.passes.map((p) => p.fullTitle).sort()).toEqual([
        'allowed allowBlocking() covers a stall in the rest of the test',
        'allowed allowBlocking(fn) covers a stall inside fn',
        'stalls only waits on timers and promises',
      ])
    })

    test('each failure says the loop stalled, against which threshold, and names the function', () => {
      for (const title of [parse, busy]) {
        const message = run.message(title)
        expect(message, title).toMatch(new RegExp(`^1 event loop stall during "${title}"(?: \\(and [^)]* not judged\\))?\\n {7}1\\) event loop stalled \\d+ ms(?: of CPU time \\(\\d+ ms of wall time\\))? \\(threshold 100 ms\\) — break the work [^\\n]*\\n`))
        expect(sites(message), title).toMatch(frames[title]!)
      }
    })

    test('the JSON report holds each stall once, and nothing else', () => {
      expect(stallsOf(run.report), describeFindings(run.report?.findings)).toEqual(expectedReport)
      expect(new Set(run.report?.findings.map((f) => f.id)).size).toBe(2)
      expect(run.report?.summary).toMatchObject({ findings: 2, tests: 2 })
    })
  })

  describe("stallMode: 'warn' (the default)", () => {
    let run: MochaRun
    beforeAll(async () => {
      run = await runMocha('stall', args, { name: name('warn'), env: stallsOn })
    })

    test('every test passes, and each stall is printed on stderr with the function that stalled', () => {
      expect(run.failed).toEqual([])
      expect(run.json.stats).toMatchObject({ tests: 5, passes: 5, failures: 0 })
      expect(run.code).toBe(0)
      for (const title of [parse, busy]) {
        const warning = run.stderr.slice(run.stderr.indexOf(`loopcop (warn): 1 event loop stall during "${title}"`))
        expect(warning, title).toMatch(/^loopcop \(warn\): .*\n {2}1\) event loop stalled \d+ ms(?: of CPU time \(\d+ ms of wall time\))? \(threshold 100 ms\) — break the work [^\n]*\n/)
        expect(sites(warning), title).toMatch(frames[title]!)
      }
      expect(run.stderr).not.toMatch(/during "(stalls only|allowed)/)
    })

    test('the JSON report holds each stall once', () => {
      expect(stallsOf(run.report), describeFindings(run.report?.findings)).toEqual(expectedReport)
      expect(run.report?.summary).toMatchObject({ findings: 2, tests: 2 })
    })
  })

  describe("stallMode: 'fail' configured, LOOPCOP_STALL_MODE=warn (adopting: a run that fails nothing)", () => {
    let run: MochaRun
    beforeAll(async () => {
      run = await runMocha('stall', args, { name: name('env-warn'), env: { ...stallsOn, FIXTURE_STALL_MODE: 'fail', LOOPCOP_MODE: 'warn', LOOPCOP_STALL_MODE: 'warn' } })
    })

    test('every test passes; each stall is in the report, judged in warn mode', () => {
      expect(run.failed).toEqual([])
      expect(run.json.stats).toMatchObject({ tests: 5, passes: 5, failures: 0 })
      expect(run.code).toBe(0)
      expect(stallsOf(run.report), describeFindings(run.report?.findings)).toEqual(expectedReport)
      expect(run.report?.findings.map((f) => f.mode)).toEqual(['warn', 'warn'])
    })
  })
})

// ts-jest's suite printed 89 stalls at one line of TypeScript's in full, ~1,000 lines of its log.
test('warn mode prints a stall in full the first time one is at its line in the run, and in one line after; the report holds both', async () => {
  const run = await runMocha('stall', ['--config', '.mocharc.again.json'], { name: 'stall-again', env: stallsOn })
  expect(run.failed).toEqual([])
  const [first, second] = ['stalls twice parses a large JSON document', 'stalls twice parses it again']
  const warning = run.stderr.slice(run.stderr.indexOf(`loopcop (warn): 1 event loop stall during "${first}"`))
  expect(sites(warning), run.stderr).toMatch(frames[parse]!)
  const lines = run.stderr.split('\n').filter((line) => line.startsWith('loopcop (warn)') && line.includes(second))
  expect(lines.map((line) => sites(line)), run.stderr).toEqual([
    expect.stringMatching(new RegExp(`^loopcop \\(warn\\): event loop stalled \\d+ ms(?: of CPU time \\(\\d+ ms of wall time\\))? \\(threshold 100 ms\\) during "${second}" at src/stall\\.js:<first call after the parse>, where a stall was printed before in this run \\(the run summary and JSON report count each\\)$`)),
  ])
  expect(run.stderr.match(/ 1\) event loop stalled/g), run.stderr).toHaveLength(1)
  expect((run.report?.findings ?? []).map((f) => [f.kind, f.test?.name])).toEqual([['stall', first], ['stall', second]])
})

// A worker inherits the process's command-line options and reads NODE_OPTIONS: without care, each
// `--require` of the process (ts-node, dotenv, an APM agent) would load again in the watchdog's
// thread, costing CPU in every test process and printing what it prints twice.
describe.each([
  { via: 'NODE_OPTIONS', options: { env: { NODE_OPTIONS: `--require ${preload}` } } },
  { via: 'node --require', options: { nodeArgs: ['--require', preload] } },
])("a preload of the process given by $via", ({ via, options }) => {
  test('loads in the main thread only, never in the watchdog, which still catches each stall with its frames', async () => {
    const run = await runMocha('stall', [], { name: `stall-preload-${via.replace(/\W+/g, '')}`, ...options, env: { ...stallsOn, ...options.env } })
    expect(run.failed).toEqual([])
    expect(run.stderr.split('\n').filter((line) => line.startsWith('fixture preload loaded in'))).toEqual(['fixture preload loaded in the main thread'])
    for (const title of [parse, busy]) {
      const warning = run.stderr.slice(run.stderr.indexOf(`loopcop (warn): 1 event loop stall during "${title}"`))
      expect(sites(warning), title).toMatch(frames[title]!)
    }
    expect(stallsOf(run.report), describeFindings(run.report?.findings)).toEqual(expectedReport)
  })
})
