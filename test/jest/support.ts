import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { JsonReport } from '../../src/index.js'
import { type RunResult, bins, fixtures, runNode } from '../helpers/run.js'

/** One test as `jest --json` reports it. */
export interface JestAssertion {
  readonly fullName: string
  readonly status: 'passed' | 'failed' | 'pending' | 'todo'
  readonly failureMessages: readonly string[]
  readonly invocations?: number
}

/** What `jest --json --outputFile` writes, the parts the tests read. */
export interface JestJson {
  readonly numFailedTests: number
  readonly numPassedTests: number
  readonly numRuntimeErrorTestSuites: number
  readonly testResults: readonly { readonly name: string; readonly message: string; readonly assertionResults: readonly JestAssertion[] }[]
}

/** A finished `jest` run on a fixture project. */
export interface JestRun extends RunResult {
  readonly json: JestJson
  /** loopcop's JSON run report, when the run wrote one. */
  readonly report: JsonReport | undefined
  /** Names of the failed tests, sorted. */
  readonly failed: readonly string[]
  /** Names of the passed tests, sorted. */
  readonly passed: readonly string[]
  /** The test of that name (throws when there is none: a typo in a test is not a pass). */
  test(name: string): JestAssertion
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T
  } catch {
    return undefined
  }
}

/**
 * Runs the real `jest` on `test/fixtures/jest/<fixture>` as a child process, with a fresh transform
 * cache (so Jest transforms and caches files while tests run), `--json` into a temporary file and
 * loopcop's JSON report written where the fixture's config reads `REPORT_JSON`.
 */
export async function runJest(fixture: string, args: readonly string[] = [], options: { env?: Record<string, string | undefined>; nodeArgs?: readonly string[] } = {}): Promise<JestRun> {
  const tmp = mkdtempSync(join(tmpdir(), `loopcop-jest-${fixture}-`))
  const outputFile = join(tmp, 'jest.json')
  const reportFile = join(tmp, 'loopcop.json')
  const result = await runNode(bins.jest, ['--ci', '--json', '--outputFile', outputFile, '--cacheDirectory', join(tmp, 'cache'), ...args], {
    cwd: join(fixtures, 'jest', fixture),
    env: { REPORT_JSON: reportFile, ...options.env },
    timeoutMs: 240_000,
    ...(options.nodeArgs !== undefined && { nodeArgs: options.nodeArgs }),
  })
  const json = readJson<JestJson>(outputFile)
  if (json === undefined) throw new Error(`jest wrote no --json output (exit code ${result.code}):\n${result.output}`)
  const all = json.testResults.flatMap((f) => f.assertionResults)
  const names = (status: string) => all.filter((a) => a.status === status).map((a) => a.fullName).sort()
  return {
    ...result,
    json,
    report: readJson<JsonReport>(options.env?.LOOPCOP_REPORT ?? reportFile),
    failed: names('failed'),
    passed: names('passed'),
    test(name) {
      const found = all.find((a) => a.fullName === name)
      if (found === undefined) throw new Error(`no test named ${JSON.stringify(name)} in the run; tests: ${all.map((a) => a.fullName).join(', ')}`)
      return found
    },
  }
}

/** A finding of the JSON report reduced to what a run must reproduce exactly (no ids, no timings). */
export function essentials(report: JsonReport | undefined): string[] {
  return (report?.findings ?? [])
    .map((f) => [f.test?.file, f.test?.name, f.operation ?? f.kind, f.location === undefined ? '-' : `${f.location.file}:${f.location.line}`, f.allowed ? `allowed by ${f.allowedBy}` : f.scope === 'assertion' ? 'assertion' : 'blocking', f.leak ? 'leak' : '', `×${f.calls}`].join(' | '))
    .sort()
}
