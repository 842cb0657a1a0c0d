// Runs the real `vitest` on the fixture project test/fixtures/vitest/app and reads what it reported.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { JsonReport } from '../../src/index.js'
import { type RunResult, bins, fixtures, runNode } from '../helpers/run.js'
import { markedLine } from '../helpers/marked-line.js'

/** The fixture project: a tiny app, and test files whose names say `[blocks]` or `[clean]`. */
export const app = join(fixtures, 'vitest', 'app')

/** The Vitest pools loopcop supports. */
export type Pool = 'forks' | 'threads' | 'vmThreads' | 'vmForks'

/** One test as Vitest's JSON reporter saw it. */
export interface TestOutcome {
  /** Path of the test file, relative to the fixture project. */
  readonly file: string
  /** Suite titles and the test's, joined with ` > `. */
  readonly name: string
  readonly status: string
  readonly failure: string
}

/** What a fixture run reported. */
export interface FixtureRun {
  readonly result: RunResult
  readonly tests: readonly TestOutcome[]
  /** Test files that failed outside their tests (e.g. an `afterAll`), with their message. */
  readonly fileFailures: readonly { readonly file: string; readonly message: string }[]
  /** loopcop's JSON report, when the run was asked for it (`report: true`). */
  readonly report: JsonReport | undefined
  readonly dir: string
}

interface VitestJson {
  testResults: {
    name: string
    status: string
    message: string
    assertionResults: { ancestorTitles: string[]; title: string; status: string; failureMessages: string[] }[]
  }[]
}

const dirs: string[] = []

/** Removes the folders the runs wrote their reports to. */
export function cleanRuns(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/**
 * Runs `vitest run` on test files of the fixture project, with `--pool` given explicitly (vmThreads
 * with the documented preload). With `report: true`, adds loopcop's reporter and reads its JSON report.
 */
export async function runFixture(
  files: readonly string[],
  options: { pool?: Pool; env?: Record<string, string>; args?: readonly string[]; report?: boolean; node?: string } = {},
): Promise<FixtureRun> {
  const dir = mkdtempSync(join(tmpdir(), 'loopcop-vitest-'))
  dirs.push(dir)
  const pool = options.pool ?? 'forks'
  const results = join(dir, 'results.json')
  const reportPath = join(dir, 'loopcop.json')
  const args = [
    'run',
    `--pool=${pool}`,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${results}`,
    ...(options.report === true ? ['--reporter=loopcop/vitest/reporter'] : []),
    ...(options.args ?? []),
    ...files,
  ]
  const env: Record<string, string> = { ...((pool === 'vmThreads' || pool === 'vmForks') && { FIXTURE_PRELOAD: '1' }), ...(options.report === true && { LOOPCOP_REPORT: reportPath }), ...options.env }
  const result = await runNode(bins.vitest, args, { cwd: app, env, timeoutMs: 240_000, ...(options.node !== undefined && { node: options.node }) })
  let json: VitestJson
  try {
    json = JSON.parse(readFileSync(results, 'utf8')) as VitestJson
  } catch (error) {
    throw new Error(`vitest wrote no JSON results (exit code ${result.code}):\n${result.output}`, { cause: error })
  }
  const tests: TestOutcome[] = []
  const fileFailures: { file: string; message: string }[] = []
  for (const file of json.testResults) {
    const rel = file.name.slice(app.length + 1)
    if (file.message !== '') fileFailures.push({ file: rel, message: file.message })
    for (const t of file.assertionResults) {
      tests.push({ file: rel, name: [...t.ancestorTitles, t.title].join(' > '), status: t.status, failure: t.failureMessages.join('\n') })
    }
  }
  const report = options.report === true ? (JSON.parse(readFileSync(reportPath, 'utf8')) as JsonReport) : undefined
  return { result, tests, fileFailures, report, dir }
}

/** The names of the tests with this status. */
export function names(run: FixtureRun, status: 'passed' | 'failed'): string[] {
  return run.tests.filter((t) => t.status === status).map((t) => t.name).sort()
}

/** The names of the tests whose title says `[blocks]` (they must fail) or `[clean]` (they must pass). */
export function marked(run: FixtureRun, mark: 'blocks' | 'clean'): string[] {
  return run.tests.filter((t) => t.name.includes(`[${mark}]`)).map((t) => t.name).sort()
}

/** The test with this name (it must exist). */
export function outcome(run: FixtureRun, name: string): TestOutcome {
  const t = run.tests.find((x) => x.name === name)
  if (t === undefined) throw new Error(`no test named ${JSON.stringify(name)} in the run; tests: ${run.tests.map((x) => x.name).join(', ')}`)
  return t
}

/** The line of the fixture's src/app.ts (or another file of src/) marked `// blocks: <what>`. */
export function appLine(what: string, file = 'app.ts'): number {
  return markedLine(join(app, 'src', file), what)
}
