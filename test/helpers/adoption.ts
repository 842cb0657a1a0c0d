// Runs Vitest, Jest or Mocha on test/fixtures/adoption (the same tests under each runner: a fixture
// read by the test file itself, a library that blocks, a dependency that blocks deep below the
// user's call site) and reads what each test reported and loopcop's JSON report.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { JsonReport } from '../../src/index.js'
import { type RunResult, assertInstalled, bins, fixtures, runNode } from './run.js'

/** The fixture project. */
export const adoption = join(fixtures, 'adoption')

/** The runners the fixture has tests for. */
export type AdoptionRunner = 'vitest' | 'jest' | 'mocha'

/** What one run reported. */
export interface AdoptionRun extends RunResult {
  /** Each test's status and failure message, by title; empty when the run stopped before its tests. */
  readonly tests: ReadonlyMap<string, { readonly status: 'passed' | 'failed'; readonly failure: string }>
  /** loopcop's JSON report, when the run wrote one. */
  readonly report: JsonReport | undefined
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T
  } catch {
    return undefined
  }
}

function args(runner: AdoptionRunner, results: string, dir: string): string[] {
  if (runner === 'vitest') return [bins.vitest, 'run', '--pool=forks', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, '--reporter=loopcop/vitest/reporter']
  if (runner === 'jest') return [bins.jest, '--ci', '--json', '--outputFile', results, '--cacheDirectory', join(dir, 'cache')]
  return [bins.mocha, '--reporter', 'json']
}

/** The tests' outcomes from the runner's own JSON results. */
function outcomes(runner: AdoptionRunner, results: string, stdout: string): Map<string, { status: 'passed' | 'failed'; failure: string }> {
  const tests = new Map<string, { status: 'passed' | 'failed'; failure: string }>()
  if (runner === 'mocha') {
    let json: { passes: { title: string }[]; failures: { title: string; err: { message?: string } }[] } | undefined
    try {
      json = JSON.parse(stdout) as typeof json
    } catch {
      json = undefined
    }
    for (const t of json?.passes ?? []) tests.set(t.title, { status: 'passed', failure: '' })
    for (const t of json?.failures ?? []) tests.set(t.title, { status: 'failed', failure: t.err.message ?? '' })
    return tests
  }
  const json = readJson<{ testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[] }>(results)
  for (const file of json?.testResults ?? []) {
    for (const t of file.assertionResults) tests.set(t.title, { status: t.status === 'passed' ? 'passed' : 'failed', failure: t.failureMessages.join('\n') })
  }
  return tests
}

/** Runs one runner on the fixture, with `configure()` options given as JSON (FIXTURE_CONFIGURE). */
export async function runAdoption(runner: AdoptionRunner, options?: object): Promise<AdoptionRun> {
  assertInstalled()
  const dir = mkdtempSync(join(tmpdir(), `loopcop-adoption-${runner}-`))
  try {
    const results = join(dir, 'results.json')
    const report = join(dir, 'loopcop.json')
    const [script, ...rest] = args(runner, results, dir)
    const result = await runNode(script as string, rest, {
      cwd: adoption,
      // Stall detection off: the findings asserted on are the blocking calls, exactly.
      env: { NODE_PATH: join(fixtures, 'node_modules'), LOOPCOP_REPORT: report, LOOPCOP_STALL_MS: '0', ...(options !== undefined && { FIXTURE_CONFIGURE: JSON.stringify(options) }) },
      timeoutMs: 180_000,
    })
    return { ...result, tests: outcomes(runner, results, result.stdout), report: readJson<JsonReport>(report) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The line of a fixture file marked with `// <mark>`. */
export function markedLine(file: string, mark: string): number {
  const lines = readFileSync(join(adoption, file), 'utf8').split('\n')
  const i = lines.findIndex((l) => l.includes(`// ${mark}`))
  if (i < 0) throw new Error(`${file} has no line marked "// ${mark}"`)
  return i + 1
}

/** The fixture's test file for a runner, relative to the fixture project. */
export function testFile(runner: AdoptionRunner): string {
  return runner === 'vitest' ? 'test/vitest/adoption.test.mjs' : runner === 'jest' ? 'test/jest/adoption.test.cjs' : 'test/mocha/adoption.spec.cjs'
}

/** The specification, the same for every runner: call it from a test file under test/<runner>/. */
export function adoptionSpecification(runner: AdoptionRunner, api: { describe: (name: string, fn: () => void) => void; test: (name: string, fn: () => Promise<void>, timeout: number) => void; expect: ExpectLike }): void {
  const { describe, test, expect } = api
  const timeout = 240_000
  const library = `src/library.cjs:${markedLine('src/library.cjs', 'blocks: library')}`
  const loader = `src/loader.cjs:${markedLine('src/loader.cjs', 'calls: deeppkg')}`
  const fixtureLine = `${testFile(runner)}:${markedLine(testFile(runner), 'test code: fixture')}`
  const status = (run: AdoptionRun) => Object.fromEntries([...run.tests].map(([name, t]) => [name, t.status]))
  const failure = (run: AdoptionRun, name: string) => run.tests.get(name)?.failure ?? ''
  // A frame of the message, relative to the project (Vitest's JSON results move `at` lines of the
  // message into the stack, with absolute paths).
  const frame = (fn: string, site: string) => new RegExp(`${fn} \\((?:.*/)?${site.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:`)

  describe(`${runner}: allow rules, the tests' own code and messages (test/fixtures/adoption)`, () => {
    test('by default the test file’s own fixture read is allowed as "test code" (reported, counted), the library call in the same test fails; a dependency’s deep call names the user’s call site', async () => {
      const run = await runAdoption(runner)
      expect(status(run)).toEqual({ 'fixture only': 'passed', library: 'failed', 'deep dependency': 'failed' })
      expect(run.code).not.toBe(0)
      const lib = failure(run, 'library')
      expect(lib).toContain('1 blocking operation on the event loop during "library"')
      expect(lib).toMatch(frame('renderAsync', library))
      expect(lib).not.toContain('fixture.json')
      // The user's call site, the 11th frame (deeper than traceDepth: 10), is named and shown.
      const deep = failure(run, 'deep dependency')
      expect(deep).toContain(`called by the package deeppkg from ${loader}`)
      // The package's code is not the user's to change: the message names the rule for it.
      expect(deep).toContain("an `allow` rule in loopcop's options (`{ package: 'deeppkg' }` allows what deeppkg calls)")
      expect(deep).toMatch(frame('loadPlugins', loader))
      const report = run.report
      expect(report?.summary).toMatchObject({ findings: 2, calls: 2, testCodeCalls: 3, unstackedCalls: 0 })
      const testCode = report?.findings.filter((f) => f.allowedBy === 'test code') ?? []
      expect(testCode.map((f) => [f.operation, f.testCode, `${f.location?.file}:${f.location?.line}`])).toEqual([
        ['fs.readFileSync', true, fixtureLine],
        ['fs.readFileSync', true, fixtureLine],
        ['fs.readFileSync', true, fixtureLine],
      ])
      const deepFinding = report?.findings.find((f) => f.operation === 'fs.statSync')
      expect(deepFinding?.offender?.package).toBe('deeppkg')
      expect(`${deepFinding?.location?.file}:${deepFinding?.location?.line}`).toBe(loader)
      expect(deepFinding?.stack.at(-1)).toContain(`loadPlugins (${loader}:`)
      expect(run.output).toMatch(/(3 blocking calls\) from the tests' own code|all from the tests' own code: 3 blocking calls), allowed by the rule "test code"/)
    }, timeout)

    test("{ caller: 'test/**' } allows what the test files call themselves, never the library call they lead to", async () => {
      const run = await runAdoption(runner, { testCode: 'check', allow: [{ caller: 'test/**' }] })
      expect(status(run)).toEqual({ 'fixture only': 'passed', library: 'failed', 'deep dependency': 'failed' })
      expect(failure(run, 'library')).toMatch(frame('renderAsync', library))
      expect(run.report?.findings.filter((f) => f.allowed).map((f) => f.allowedBy)).toEqual(['{"caller":"test/**"}', '{"caller":"test/**"}', '{"caller":"test/**"}'])
    }, timeout)

    test('a finding allowed by a rule that matched a frame deeper than traceDepth shows that frame, between the first frames and the caller', async () => {
      // BlockHound's allowBlockingCallsInside: deeppkg's `find` lies 10 frames below the call, past traceDepth 3.
      const rule = { within: '**/node_modules/deeppkg/**', function: 'find' }
      const run = await runAdoption(runner, { traceDepth: 3, allow: [rule] })
      expect(status(run)).toEqual({ 'fixture only': 'passed', library: 'failed', 'deep dependency': 'passed' })
      const allowed = run.report?.findings.find((f) => f.operation === 'fs.statSync')
      expect(allowed?.allowedBy).toBe(JSON.stringify(rule))
      const stack = allowed?.stack ?? []
      expect(stack.map((line) => line.split(' ')[0])).toEqual(['walk', 'walk', 'walk', 'Object.find', 'loadPlugins'])
      expect(stack[3]).toMatch(/node_modules\/deeppkg\/index\.js:\d+:\d+\)$/)
      expect(stack[4]).toContain(`loadPlugins (${loader}:`)
      // Only the allowed finding shows more: the library's violation keeps its first frames and caller.
      expect(run.report?.findings.find((f) => f.operation === 'fs.readFileSync' && f.allowed === false)?.stack.length).toBeLessThanOrEqual(4)
    }, timeout)

    test("testCode: 'check' counts the tests' own calls, listed after the code under test", async () => {
      const run = await runAdoption(runner, { testCode: 'check' })
      expect(status(run)).toEqual({ 'fixture only': 'failed', library: 'failed', 'deep dependency': 'failed' })
      const own = failure(run, 'fixture only')
      expect(own).toContain('1 blocking operation on the event loop during "fixture only"')
      expect(own).toContain('(in test code)')
      const lib = failure(run, 'library')
      expect(lib).toContain('2 blocking operations on the event loop during "library"')
      expect(lib.indexOf('template.txt')).toBeGreaterThan(-1)
      expect(lib.indexOf('template.txt')).toBeLessThan(lib.indexOf('fixture.json'))
      expect(run.report?.summary).toMatchObject({ findings: 5, testCodeCalls: 0 })
    }, timeout)

    test('`frame` is refused: the run stops non-zero with a message naming `caller` and `within`', async () => {
      const run = await runAdoption(runner, { allow: [{ frame: 'test/**' }] })
      expect(run.code).not.toBe(0)
      expect(run.output).toContain('the field `frame` was replaced')
      expect(run.output).toMatch(/Use `caller` .*or `within`/)
      expect([...run.tests.values()].filter((t) => t.status === 'passed')).toEqual([])
    }, timeout)
  })
}

/** The part of `expect` the specification uses (Vitest's, passed in by the caller). */
type ExpectLike = (value: unknown) => {
  toEqual(expected: unknown): void
  toBe(expected: unknown): void
  toContain(expected: string): void
  toMatch(expected: RegExp): void
  toMatchObject(expected: object): void
  toBeGreaterThan(n: number): void
  toBeLessThan(n: number): void
  toBeLessThanOrEqual(n: number): void
  not: { toBe(expected: unknown): void; toContain(expected: string): void }
}
