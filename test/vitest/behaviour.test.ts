// What a test is charged with, and what each mode does, as the real Vitest reports it.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { appLine, cleanRuns, marked, names, outcome, runFixture } from './support.js'

afterAll(cleanRuns)

const timeout = 240_000

describe('work a test leaves running', () => {
  test('a timer that blocks after its test ended is reported against that test, as a leak', async () => {
    const run = await runFixture(['test/leak.test.ts'], { report: true })
    // Both tests pass: the blocking call happened after the first one ended …
    expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
    // … and the file fails at its end, naming the test that started the timer.
    expect(run.fileFailures).toHaveLength(1)
    const failure = run.fileFailures[0]!
    expect(failure.message).toContain('1 blocking operation on the event loop after "[clean] starts a timer that blocks after the test ended" ended')
    expect(failure.message).toContain('after its test ended: fs.readFileSync(')
    // How to stop or allow a leak: not an allowBlocking() in the test, whose allowance ends with it.
    expect(failure.message).toContain('Stop that work before its test ends (clear its timer, close what it opened), or allow it with an `allow` rule')
    expect(failure.message).not.toContain('Allow it with allowBlocking() in the test')
    expect(run.result.code).toBe(1)
    // The run report holds it once, charged to that test.
    expect(run.report?.findings.map((f) => ({ operation: f.operation, test: f.test?.name, leak: f.leak, line: f.location?.line }))).toEqual([
      { operation: 'fs.readFileSync', test: '[clean] starts a timer that blocks after the test ended', leak: true, line: appLine('readFileSync') },
    ])
  }, timeout)

  // cheerio: warn mode said a leak as a test's failure would ("… during "…"", then "after its test
  // ended"); the other runners say it as a leak.
  test('warn: the run passes, and the leak is said as under the other runners, once, in the run report', async () => {
    const run = await runFixture(['test/leak.test.ts'], { report: true, env: { LOOPCOP_MODE: 'warn' } })
    expect(run.result.code, run.result.output).toBe(0)
    expect(run.fileFailures).toEqual([])
    const said = 'loopcop (leak): work that "[clean] starts a timer that blocks after the test ended" left running blocked the event loop after the test had ended (too late to fail it; it is in the run report, and later calls from here are counted there, not printed):'
    expect(run.result.output.split(said)).toHaveLength(2)
    expect(run.result.output).not.toContain('blocking operation on the event loop during')
    expect(run.report?.findings.map((f) => [f.test?.name, f.leak])).toEqual([['[clean] starts a timer that blocks after the test ended', true]])
  }, timeout)
  // tsconfck: a test's leak at nine call sites printed nine headings.
  test('warn: the call sites a test left blocking are said under one heading', async () => {
    const run = await runFixture(['test/leak-sites.test.ts'], { report: true, env: { LOOPCOP_MODE: 'warn' } })
    expect(run.result.code, run.result.output).toBe(0)
    const heading = 'loopcop (leak): work that "[clean] starts a timer that blocks at two lines after the test ended" left running blocked the event loop after the test had ended (too late to fail it; they are in the run report, and later calls from these lines are counted there, not printed):\n'
    const at = run.result.output.indexOf(heading)
    expect(at, run.result.output).toBeGreaterThan(-1)
    expect(run.result.output.split('loopcop (leak):')).toHaveLength(2)
    const said = run.result.output.slice(at + heading.length)
    expect(said).toMatch(/^ {2}1\) after its test ended: fs\.readFileSync\(/)
    expect(said).toMatch(/\n {2}2\) after its test ended: fs\.existsSync\(/)
    expect(run.report?.findings.map((f) => [f.operation, f.leak]).sort()).toEqual([
      ['fs.existsSync', true],
      ['fs.readFileSync', true],
    ])
  }, timeout)
})

describe('work a test file leaves running after it ended', () => {
  test.each(['forks', 'threads'] as const)('%s, isolate: false: every call reaches the run report, and is said once', async (pool) => {
    const files = ['test/late-leak-a.test.ts', 'test/late-leak-b.test.ts']
    const run = await runFixture(files, { pool, args: ['--no-isolate', '--maxWorkers=1'], env: { FIXTURE_SORTED: '1', LOOPCOP_MODE: 'warn' }, report: true })
    expect(run.result.code, run.result.output).toBe(0)
    expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
    const leaks = run.report?.findings.filter((f) => f.leak) ?? []
    expect(new Set(leaks.map((f) => f.test?.name))).toEqual(new Set(['[clean] leaves an interval that blocks after its file ended']))
    expect(leaks.reduce((n, f) => n + f.calls, 0)).toBe(10)
    // Gathered by call site: not a finding a call (one more where a call came before the file's end).
    expect(leaks.length).toBeLessThanOrEqual(2)
    const said = `loopcop (leak): work that "[clean] leaves an interval that blocks after its file ended" left running blocked the event loop after its file's last test had ended (too late to fail it; it is in the run report, and later calls from here are counted there until the run is reported, not printed):`
    expect(run.result.output.split(said)).toHaveLength(2)
  }, timeout)

  // json-schema-ref-parser: an interval's calls before its file ended failed the file, and its
  // next call, after, said "too late to fail it" beside that failure.
  test('fail mode: calls before the file ended fail it; the first one after says that they did, and that it came too late', async () => {
    const run = await runFixture(['test/late-leak-a2.test.ts', 'test/late-leak-b.test.ts'], { args: ['--no-isolate', '--maxWorkers=1'], env: { FIXTURE_SORTED: '1' }, report: true })
    expect(run.result.code, run.result.output).toBe(1)
    expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
    expect(run.fileFailures.map((f) => f.file)).toEqual(['test/late-leak-a2.test.ts'])
    expect(run.fileFailures[0]?.message).toMatch(/^\d+ blocking operations? on the event loop after "\[clean\] leaves an interval that blocks before and after its file ended" ended/)
    const said = `loopcop (leak): work that "[clean] leaves an interval that blocks before and after its file ended" left running blocked the event loop after its file's last test had ended (its calls from here before then failed its file; this one came too late to fail it;`
    expect(run.result.output.split(said)).toHaveLength(2)
    expect(run.result.output).not.toContain('(too late to fail it')
    const leaks = run.report?.findings.filter((f) => f.leak) ?? []
    expect(leaks.reduce((n, f) => n + f.calls, 0)).toBe(10)
  }, timeout)

  // Isolation (the default): the file's fork or thread goes on after the file until Vitest stops
  // it, without a word to it. Before, those calls were printed and missing from the report.
  test.each(['forks', 'threads'] as const)("%s, isolated: every call the file's worker makes after the file's end reaches the run report; no spool folder is left behind", async (pool) => {
    const tmp = mkdtempSync(join(tmpdir(), 'loopcop-late-'))
    try {
      const ticks = join(tmp, 'ticks')
      const run = await runFixture(['test/late-leak-isolated.test.ts', 'test/late-leak-watch.test.ts'], { pool, args: ['--maxWorkers=2'], env: { FIXTURE_TICKS: ticks, LOOPCOP_MODE: 'warn', TMPDIR: tmp }, report: true })
      expect(run.result.code, run.result.output).toBe(0)
      expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
      const test = '[clean] leaves work that blocks once its file has ended'
      const said = `loopcop (leak): work that ${JSON.stringify(test)} left running blocked the event loop after its file's last test had ended`
      const leaked = run.report?.findings.filter((f) => f.leak && f.operation === 'fs.readFileSync' && !f.allowed) ?? []
      // A fork makes the calls before Vitest stops it; a thread may be terminated before (see the fixture).
      const calls = existsSync(ticks) ? Number(readFileSync(ticks, 'utf8')) : 0
      if (pool === 'forks') expect(calls).toBeGreaterThan(0)
      if (calls === 0) {
        expect(leaked).toEqual([])
        expect(run.result.output).not.toContain(said)
      } else {
        // They came after the file's end (they start after its afterAll): said once, in the report.
        expect(run.result.output.split(said)).toHaveLength(2)
        expect(leaked.map((f) => ({ test: f.test?.name, line: f.location?.line }))).toEqual([{ test, line: appLine('readFileSync') }])
        // Every call, once. Vitest's SIGTERM may land between a call (written at once) and its count
        // (then one call more than counted), or in the call's write (then one lost, and said).
        const reported = leaked[0]?.calls ?? 0
        expect(reported + (run.report?.summary.lost ?? 0)).toBeGreaterThanOrEqual(calls)
        expect(reported).toBeLessThanOrEqual(calls + 1)
      }
      // The spool folder (and the warned marks in it) went with the run; a worker that outlived it
      // made none again. What stays is the code cache's folder (`loopcop-<uid>`, src/runtime/code-cache.ts).
      const cache = `loopcop-${process.getuid?.() ?? 'user'}`
      expect(readdirSync(tmp).filter((name) => name.startsWith('loopcop-') && name !== cache)).toEqual([])
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  }, timeout)
})

describe('stacks', () => {
  test("loopcop reads stacks with its own formatter: findings keep their TypeScript line, the runner's and the test's own Error.prepareStackTrace and error stacks are untouched", async () => {
    const run = await runFixture(['test/stack.test.ts'], { env: { FIXTURE_READ_LINE: String(appLine('readFileSync')) } })
    expect(run.result.code, run.result.output).toBe(0)
    expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
    expect(marked(run, 'clean')).toHaveLength(2)
  }, timeout)
})

describe('allowing', () => {
  test('allowBlocking() (both forms) and configure({ allow }) silence exactly what they name', async () => {
    const run = await runFixture(['test/allow.test.ts'])
    expect(names(run, 'failed')).toEqual(marked(run, 'blocks'))
    expect(names(run, 'passed')).toEqual(marked(run, 'clean'))

    // allowBlocking(fn) covered the readFileSync inside it, not the statSync after it.
    const after = outcome(run, '[blocks] allowBlocking(fn) does not allow what follows it').failure
    expect(after).toContain('1 blocking operation on the event loop')
    expect(after).toContain('fs.statSync(')
    expect(after).not.toContain('fs.readFileSync(')

    // configure({ allow: ['fs.existsSync'] }) covered existsSync, not statSync.
    const other = outcome(run, '[blocks] configure({ allow }) does not allow other operations').failure
    expect(other).toContain('1 blocking operation on the event loop')
    expect(other).toContain('fs.statSync(')
    expect(other).not.toContain('fs.existsSync(')
  }, timeout)

  // Without isolation one worker runs the two files one after the other, as a Jest worker does.
  const oneWorker = ['--no-isolate', '--maxWorkers=1']
  test.each(['forks', 'threads'] as const)("isolate: false (%s): a test file's top-level configure() ends with the file; a setup file's holds for each", async (pool) => {
    const files = ['test/configure-first.test.ts', 'test/configure-second.test.ts']
    const run = await runFixture(files, { pool, args: oneWorker, env: { FIXTURE_SORTED: '1' } })
    expect(run.tests).toHaveLength(2)
    expect(names(run, 'failed')).toEqual(marked(run, 'blocks'))
    expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
    expect(outcome(run, '[blocks] reads the config, which nothing here allows').failure).toContain('fs.readFileSync(')

    const fromSetup = await runFixture(files, { pool, args: oneWorker, env: { FIXTURE_SORTED: '1', FIXTURE_CONFIGURE: JSON.stringify({ allow: ['fs.readFileSync'] }) } })
    expect(fromSetup.tests.map((t) => t.status)).toEqual(['passed', 'passed'])
  }, timeout)
})

describe('modes', () => {
  test('warn: the run passes; each call site is printed once, at its TypeScript line; the run report holds every blocking test', async () => {
    const run = await runFixture(['test/blocking.test.ts'], { env: { LOOPCOP_MODE: 'warn' }, report: true })
    expect(run.result.code).toBe(0)
    expect(names(run, 'failed')).toEqual([])
    const lines = run.result.output.split('\n').filter((line) => line.startsWith('loopcop (warn): new call site '))
    // loadConfigSync is called by most [blocks] tests: its line is printed once, not per test.
    expect(lines.filter((line) => line.startsWith(`loopcop (warn): new call site src/app.ts:${appLine('readFileSync')}:`))).toHaveLength(1)
    expect(lines.filter((line) => line.includes('child_process.execSync("echo v1") blocked'))).toHaveLength(1)
    expect(new Set(lines).size).toBe(lines.length)
    // Nothing is lost: every blocking test is in the run report, judged in warn mode.
    const reported = run.report?.findings.filter((f) => !f.allowed) ?? []
    expect(new Set(reported.map((f) => f.test?.name))).toEqual(new Set(marked(run, 'blocks')))
    expect(new Set(reported.map((f) => f.mode))).toEqual(new Set(['warn']))
  }, timeout)

  test.each(['forks', 'threads'] as const)(
    'warn, three test files reaching one call site (pool %s): printed once a run with the reporter, once a test file without it',
    async (pool) => {
      const files = ['test/blocking.test.ts', 'test/concurrent.test.ts', 'test/fake-timers.test.ts']
      const siteLines = (run: Awaited<ReturnType<typeof runFixture>>): string[] =>
        run.result.output.split('\n').filter((line) => line.startsWith(`loopcop (warn): new call site src/app.ts:${appLine('readFileSync')}:`))
      const tmp = mkdtempSync(join(tmpdir(), 'loopcop-warned-test-'))
      const [reported, alone] = await Promise.all([
        runFixture(files, { pool, env: { LOOPCOP_MODE: 'warn', TMPDIR: tmp }, report: true }),
        runFixture(files, { pool, env: { LOOPCOP_MODE: 'warn' } }),
      ])
      for (const run of [reported, alone]) expect(names(run, 'failed'), run.result.output).toEqual([])
      // Without loopcop's reporter nothing is shared between the test files: each says it once.
      expect(siteLines(alone)).toHaveLength(files.length)
      expect(siteLines(reported)).toHaveLength(1)
      // A line promises a run summary only when there is one.
      for (const line of siteLines(reported)) expect(line).toMatch(/; later calls from here are counted in the run summary and JSON report\)$/)
      for (const line of siteLines(alone)) expect(line).toMatch(/; later calls from here are not printed: loopcop's reporter counts every call in a run summary\)$/)
      // The reporter's folder of printed sites lived as long as the run.
      expect(readdirSync(tmp).filter((name) => name.startsWith('loopcop-warned-'))).toEqual([])
      // Every call is still in the run report, from every file.
      const reachedFrom = new Set(reported.report?.findings.filter((f) => f.location?.line === appLine('readFileSync')).map((f) => f.test?.file))
      expect([...reachedFrom].sort()).toEqual(files)
    },
    timeout,
  )

  test('throw: the test fails at the call, and the blocking call did not run', async () => {
    const marker = join(app(), 'never-written.txt')
    const run = await runFixture(['test/throw.test.ts'], { env: { LOOPCOP_MODE: 'throw', FIXTURE_MARKER: marker } })
    const t = outcome(run, '[blocks] writes a marker file synchronously')
    expect(t.status).toBe('failed')
    expect(t.failure).toContain(`fs.writeFileSync("${marker}")`)
    expect(t.failure).toContain("refused before it ran (mode: throw)")
    // The error was thrown at the call: its first frame is the line of the call.
    expect(t.failure).toMatch(new RegExp(`^\\s+at writeMarker \\(.*/src/app\\.ts:${appLine('writeFileSync')}:3\\)$`, 'm'))
    expect(existsSync(marker)).toBe(false)
  }, timeout)

  test('throw: a test that caught the refusal and failed another way also names the refused call', async () => {
    const marker = join(app(), 'never-written.txt')
    const run = await runFixture(['test/throw.test.ts'], { env: { LOOPCOP_MODE: 'throw', FIXTURE_MARKER: marker } })
    const t = outcome(run, '[blocks] catches the refusal and fails another way')
    expect(t.status).toBe('failed')
    expect(t.failure).toContain('expected 400 to be 200')
    expect(t.failure).toContain(`fs.writeFileSync("${marker}") — refused before it ran (mode: throw)`)
    // A refusal that propagated is named once, by its own error.
    expect(outcome(run, '[blocks] writes a marker file synchronously').failure.split('refused before it ran')).toHaveLength(2)
  }, timeout)

  // commander: a refusal the code caught was named only in the run summary when a later one failed the test.
  test('throw: a refusal the code caught is named beside the one that failed the test, each once', async () => {
    const marker = join(app(), 'never-written.txt')
    const run = await runFixture(['test/throw.test.ts'], { env: { LOOPCOP_MODE: 'throw', FIXTURE_MARKER: marker } })
    const t = outcome(run, '[blocks] catches one refusal, and the next fails the test')
    expect(t.status).toBe('failed')
    expect(t.failure.split(`fs.writeFileSync("${marker}") — refused before it ran (mode: throw)`)).toHaveLength(2)
    expect(t.failure.split('fs.statSync(').length, t.failure).toBe(2)
    expect(t.failure.split('refused before it ran')).toHaveLength(3)
  }, timeout)
})

function app(): string {
  return join(process.cwd(), 'test', 'fixtures', 'vitest', 'app')
}

// loopcop's warn-mode lines go through the test file's console, but never through a test's spy on it.
test('a test spying on console.warn sees none of loopcop’s lines, and a mock does not swallow them', async () => {
  const run = await runFixture(['test/console-spy.test.ts'], { env: { LOOPCOP_MODE: 'warn' } })
  expect(names(run, 'failed')).toEqual([])
  expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
  expect(run.result.output).toContain(`loopcop (warn): new call site src/app.ts:${appLine('readFileSync')}:`)
  expect(run.result.output).toContain(`loopcop (warn): new call site src/app.ts:${appLine('execSync')}:`)
  // Where a site's later calls go is said once, on the first line (here a process's: no reporter, no run summary).
  const said = run.result.output.split('\n').filter((line) => line.startsWith('loopcop (warn): new call site '))
  expect(said.map((line) => line.endsWith("; later calls from here are not printed: loopcop's reporter counts every call in a run summary)"))).toEqual([true, false])
}, timeout)

// svelte: under the verbose reporter each failure ended with "Serialized Error: { findings: [ … ] }",
// every finding again with absolute paths and Vitest's frames: Vitest prints an error's own properties.
test('a failure under the verbose reporter shows loopcop’s message, not its findings again as the error’s properties', async () => {
  const run = await runFixture(['test/blocking.test.ts'], { args: ['--reporter=verbose'] })
  expect(names(run, 'failed').length, run.result.output).toBeGreaterThan(0)
  expect(run.result.output).toContain('BlockingIOError')
  expect(run.result.output).not.toContain('Serialized Error')
}, timeout)
