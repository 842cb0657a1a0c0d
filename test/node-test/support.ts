import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type RunResult, assertInstalled, childEnv, fixtures, root, runChild } from '../helpers/run.js'
import type { JsonReport } from '../../src/index.js'

/** The node:test fixture projects. */
export const nodeTestFixtures = join(fixtures, 'node-test')

/** The Node majors loopcop/node-test supports. */
export const NODE_MAJORS = [20, 22, 24, 26] as const
export type NodeMajor = (typeof NODE_MAJORS)[number]

/**
 * The Node binary of a major: this process's when it is that major, else the one the test suite's
 * global set-up installs (test/global-setup.ts, into .cache/node), or `undefined` when neither is
 * there (then the tests of that version fail, naming the fix: they are never skipped).
 */
export function nodeBinary(major: NodeMajor): string | undefined {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath
  const bin = join(root, '.cache', 'node', String(major), 'node_modules', `node-${process.platform}-${process.arch}`, 'bin', 'node')
  return existsSync(bin) ? bin : undefined
}

/** The Node versions to run on: every supported one that is installed, with the reason the others are not. */
export const nodes = NODE_MAJORS.map((major) => ({ major, bin: nodeBinary(major) }))

/** Why a Node version's tests cannot run. */
export function missing(major: NodeMajor): string {
  return `Node ${major} is not installed: the global set-up installs it into .cache/node/${major} (\`node scripts/matrix.mjs --node=${major} --only=node-test\` does too)`
}

/** One test as the fixtures' results reporter (test/fixtures/node-test/results-reporter.mjs) writes it. */
export interface TestResult {
  /** `suite > test > subtest`. */
  readonly name: string
  readonly file: string
  readonly type: 'test' | 'suite'
  readonly status: 'pass' | 'fail' | 'skip' | 'todo'
  /** The error and its causes, outermost (node:test's own) first. */
  readonly errors: readonly { readonly name?: string; readonly code?: string; readonly message: string; readonly stack?: string }[]
  readonly diagnostics: readonly string[]
}

/** One `node --test` run of a fixture. */
export interface NodeTestRun extends RunResult {
  /** Every test and suite, as node:test reported it. */
  readonly tests: readonly TestResult[]
  /** What the test processes wrote on stderr (node:test relays it as events). */
  readonly testStderr: string
  /** loopcop's JSON run report (LOOPCOP_REPORT), when one was written. */
  readonly report: JsonReport | undefined
  /** Full names of the failed tests (not suites), sorted. */
  readonly failed: string[]
  /** Full names of the passed tests (not suites), sorted. */
  readonly passed: string[]
  /** The error a test failed with: the innermost cause (the test's own error), by full name. */
  error(name: string): { readonly name?: string; readonly message: string; readonly stack?: string }
  /** The error chain of a failed test, outermost first. */
  errors(name: string): TestResult['errors']
  /** A test by full name. */
  test(name: string): TestResult
}

/** How to run `node --test` on a fixture. */
export interface NodeTestOptions {
  /** Names the run's files (`reports/<name>.json`, `reports/<name>.results.json`). */
  readonly name: string
  /** The Node major to run on. @default 20 */
  readonly node?: NodeMajor
  /** `none` runs every file in the runner's own process (Node 22+). @default 'process' */
  readonly isolation?: 'process' | 'none'
  /** Test files, relative to the fixture. @default every `test/*.test.*` */
  readonly files?: readonly string[]
  /** Modules to `--import` (or `--require`, as `{ require }`), in order. @default ['loopcop/node-test'] */
  readonly preload?: readonly (string | { readonly require: string })[]
  /** Add `--test-reporter=loopcop/node-test/reporter` (destination stderr). @default true */
  readonly loopcopReporter?: boolean
  /** Run the files as `node file.js` instead of `node --test` (one file, in this one process). @default false */
  readonly direct?: boolean
  /** More `node` arguments, after `--test`. */
  readonly args?: readonly string[]
  readonly env?: Record<string, string | undefined>
}

/** The fixture's test files matching `test/*.test.*`, as node:test globs them. */
function testFiles(cwd: string): string[] {
  const dir = join(cwd, 'test')
  return (existsSync(dir) ? readdirSync(dir) : []).filter((f) => /\.test\.[cm]?[jt]s$/.test(f)).sort().map((f) => `test/${f}`)
}

/**
 * Runs `node --test` on a fixture project the way a user would, with the fixtures' results reporter
 * writing a JSON file and loopcop's reporter on stderr. `loopcop` resolves from the fixture to the
 * packed tarball the global set-up installed; the JSON run report goes to `reports/<name>.json`.
 */
export async function runNodeTest(fixture: string, options: NodeTestOptions): Promise<NodeTestRun> {
  assertInstalled()
  const major = options.node ?? 20
  const bin = nodeBinary(major)
  if (bin === undefined) throw new Error(missing(major))
  const cwd = join(nodeTestFixtures, fixture)
  const reports = join(cwd, 'reports')
  mkdirSync(reports, { recursive: true })
  const reportPath = join('reports', `${options.name}.json`)
  const resultsPath = join(reports, `${options.name}.results.json`)
  rmSync(join(cwd, reportPath), { force: true })
  rmSync(resultsPath, { force: true })
  const isolation = options.isolation === 'none' ? [major === 22 ? '--experimental-test-isolation=none' : '--test-isolation=none'] : []
  const preload = (options.preload ?? ['loopcop/node-test']).flatMap((p) => (typeof p === 'string' ? ['--import', p] : ['--require', p.require]))
  const reporters = [
    `--test-reporter=${pathToFileURL(join(nodeTestFixtures, 'results-reporter.mjs')).href}`,
    `--test-reporter-destination=${resultsPath}`,
    ...(options.loopcopReporter === false ? [] : ['--test-reporter=loopcop/node-test/reporter', '--test-reporter-destination=stderr']),
  ]
  const args = [...(options.direct === true ? [] : ['--test']), ...isolation, ...preload, ...reporters, ...(options.args ?? []), ...(options.files ?? testFiles(cwd))]
  const result = await run(bin, args, {
    cwd,
    // Stall detection off unless a test asks for it: on a loaded machine a descheduled process
    // looks like a stall, which would add findings to runs whose exact findings are asserted.
    // The fixtures' test files block themselves, standing for the code under test: counted
    // (LOOPCOP_TEST_CODE=check); the default, allowing them, is tested on the other runners (adoption.test.ts).
    env: { LOOPCOP_REPORT: reportPath, LOOPCOP_STALL_MS: '0', LOOPCOP_TEST_CODE: 'check', ...options.env },
  })
  let parsed: { tests: TestResult[]; stderr: string[] }
  try {
    parsed = JSON.parse(readFileSync(resultsPath, 'utf8')) as typeof parsed
  } catch (error) {
    throw new Error(`node --test wrote no results (exit ${result.code}):\n${result.output}`, { cause: error })
  }
  let report: JsonReport | undefined
  try {
    report = JSON.parse(readFileSync(join(cwd, reportPath), 'utf8')) as JsonReport
  } catch {
    report = undefined
  }
  const tests = parsed.tests
  const only = (status: TestResult['status']): string[] => tests.filter((t) => t.type === 'test' && t.status === status).map((t) => t.name).sort()
  const find = (name: string): TestResult => {
    const test = tests.find((t) => t.name === name)
    if (test === undefined) throw new Error(`no test "${name}"; tests: ${tests.map((t) => t.name).join(', ')}`)
    return test
  }
  return {
    ...result,
    tests,
    testStderr: parsed.stderr.join(''),
    report,
    failed: only('fail'),
    passed: only('pass'),
    test: find,
    errors: (name) => find(name).errors,
    error(name) {
      const test = find(name)
      const innermost = test.errors[test.errors.length - 1]
      if (test.status !== 'fail' || innermost === undefined) throw new Error(`"${name}" did not fail (${test.status})`)
      return innermost
    },
  }
}

/** Runs a Node binary in a fixture, with the environment of a clean shell (no LOOPCOP_*, NODE_OPTIONS or test-runner variables of this run) plus `env`. */
export function run(bin: string, args: readonly string[], options: { readonly cwd: string; readonly env: Record<string, string | undefined> }): Promise<RunResult> {
  const env = childEnv({ CI: 'true', PATH: `${dirname(bin)}:${process.env.PATH ?? ''}`, ...options.env })
  return runChild(bin, args, { cwd: options.cwd, env, timeoutMs: 180_000 })
}

/** The `tsx` loader of this repository's dev dependencies, for `--import`. */
export const tsxLoader = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href
