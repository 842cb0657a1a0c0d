// `loopcop/matchers`: the raw matcher functions on a user's own `expect` (`expect.extend(matchers)`
// in the test file, no loopcop setup file), in real Vitest and Jest runs of fixture projects.
// Tests titled `[clean]` must pass and `[blocks]` ones fail with loopcop's message.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { runJest, type JestRun } from '../jest/support.js'
import { type RunResult, assertInstalled, bins, fixtures, runNode } from '../helpers/run.js'

beforeAll(assertInstalled)

/** One test of a Vitest run, from its JSON reporter. */
interface VitestTest {
  readonly file: string
  readonly name: string
  readonly status: string
  readonly failure: string
}

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** Runs `vitest run` on the fixture project test/fixtures/vitest/matchers-entry. */
async function runVitest(): Promise<{ result: RunResult; tests: VitestTest[] }> {
  const cwd = join(fixtures, 'vitest', 'matchers-entry')
  const dir = mkdtempSync(join(tmpdir(), 'loopcop-matchers-entry-'))
  dirs.push(dir)
  const output = join(dir, 'results.json')
  const result = await runNode(bins.vitest, ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${output}`], { cwd, timeoutMs: 240_000 })
  let json: { testResults: { name: string; assertionResults: { title: string; status: string; failureMessages: string[] }[] }[] }
  try {
    json = JSON.parse(readFileSync(output, 'utf8')) as typeof json
  } catch (error) {
    throw new Error(`vitest wrote no JSON results (exit code ${result.code}):\n${result.output}`, { cause: error })
  }
  const tests = json.testResults.flatMap((file) => file.assertionResults.map((t) => ({ file: file.name.slice(cwd.length + 1), name: t.title, status: t.status, failure: t.failureMessages.join('\n') })))
  return { result, tests }
}

const titled = (names: readonly string[], mark: 'clean' | 'blocks') => names.filter((n) => n.includes(`[${mark}]`)).sort()

describe('loopcop/matchers with Vitest (no loopcop setup file)', () => {
  let run: { result: RunResult; tests: VitestTest[] }
  beforeAll(async () => {
    run = await runVitest()
  }, 240_000)
  const named = (name: string) => {
    const found = run.tests.find((t) => t.name === name)
    if (found === undefined) throw new Error(`no test named ${JSON.stringify(name)}; tests: ${run.tests.map((t) => t.name).join(', ')}`)
    return found
  }

  test('expect.extend(matchers) and expect.extend({ toBlockEventLoop }): clean cases pass, blocking ones fail', () => {
    const all = run.tests.map((t) => t.name)
    expect(all).toHaveLength(11)
    expect(run.tests.filter((t) => t.status === 'passed').map((t) => t.name).sort()).toEqual(titled(all, 'clean'))
    expect(run.tests.filter((t) => t.status === 'failed').map((t) => t.name).sort()).toEqual(titled(all, 'blocks'))
    expect(run.result.code).toBe(1)
  })

  test("a failure carries loopcop's message, listing each blocking call with its frames", () => {
    for (const name of ['[blocks] .not fails for blocking code', '[blocks] .not fails for blocking async code']) {
      const { failure } = named(name)
      expect(failure, name).toContain('expect(fn).not.toBlockEventLoop()')
      expect(failure, name).toContain('Expected fn not to block the event loop, but it did:')
      expect(failure, name).toMatch(/ {2}1\) fs\.readFileSync\(".*matchers\.test\.ts"\) blocked .* — use fs\.promises\.readFile/)
      expect(failure, name).toMatch(/\n {7}at loadConfig \(.*matchers\.test\.ts:\d+:\d+\)/)
    }
    expect(named('[blocks] fails for clean code').failure).toContain('Expected fn to block the event loop, but it made no blocking call.')
  })

  test('importing it registers nothing: no matcher, no per-test enforcement', () => {
    expect(run.tests.filter((t) => t.file === 'no-side-effects.test.ts').map((t) => [t.name, t.status])).toEqual([
      ['[clean] the module holds only the matcher functions', 'passed'],
      ['[clean] no matcher is registered on import', 'passed'],
      ['[clean] blocking in a test does not fail it', 'passed'],
    ])
  })
})

describe('loopcop/matchers with Jest (no loopcop setup file)', () => {
  let run: JestRun
  beforeAll(async () => {
    run = await runJest('matchers-entry')
  }, 240_000)

  test("clean cases pass and blocking ones fail, in Jest's environment and in loopcop's", () => {
    // Each name twice: once per project (plain-env, loopcop-env); no-side-effects runs in plain-env only.
    const clean = ['[clean] a blocking fn blocks the event loop', '[clean] an async fn does not', '[clean] options: an allowed call does not count']
    const blocks = ['[blocks] .not fails for blocking async code', '[blocks] .not fails for blocking code', '[blocks] fails for clean code']
    const sideEffects = ['[clean] blocking in a test does not fail it', '[clean] no matcher is registered on import', '[clean] the module holds only the matcher functions']
    expect(run.passed).toEqual([...clean, ...clean, ...sideEffects].sort())
    expect(run.failed).toEqual([...blocks, ...blocks].sort())
    expect(run.json.numRuntimeErrorTestSuites).toBe(0)
  })

  test("a failure carries loopcop's message, frames written for Jest (`in fn (file)`, not cut as a stack)", () => {
    const failures = run.json.testResults.flatMap((f) => f.assertionResults).filter((a) => a.fullName === '[blocks] .not fails for blocking code')
    expect(failures).toHaveLength(2)
    for (const { failureMessages } of failures) {
      const failure = failureMessages.join('\n')
      expect(failure).toContain('Expected fn not to block the event loop, but it did:')
      expect(failure).toMatch(/ {2}1\) fs\.readFileSync\(".*matchers\.test\.js"\) blocked .* — use fs\.promises\.readFile/)
      expect(failure).toMatch(/\n {7}in loadConfig \(.*matchers\.test\.js:\d+:\d+\)/)
    }
  })
})
