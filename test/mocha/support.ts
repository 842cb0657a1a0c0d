import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { type RunResult, bins, fixtures, assertInstalled, runNode } from '../helpers/run.js'
import type { JsonReport } from '../../src/index.js'

/** The Mocha fixture projects. */
export const mochaFixtures = join(fixtures, 'mocha')

/** What Mocha's `--reporter json` prints (the parts the tests read). */
export interface MochaJson {
  readonly stats: { readonly tests: number; readonly passes: number; readonly failures: number; readonly pending: number }
  readonly passes: readonly { readonly fullTitle: string }[]
  readonly failures: readonly { readonly fullTitle: string; readonly err: { readonly message?: string; readonly stack?: string; readonly name?: string } }[]
}

/** One Mocha run of a fixture: the JSON reporter's result, loopcop's run report, and the raw output. */
export interface MochaRun extends RunResult {
  readonly json: MochaJson
  readonly report: JsonReport | undefined
  /** Titles of the failed tests, sorted. */
  readonly failed: string[]
  /** The failure message of a test, by its full title. */
  message(title: string): string
}

/**
 * Runs the real `mocha` on a fixture project with `--reporter json`. `loopcop` resolves from
 * Mocha's own `require` (as when both are installed in a project) through NODE_PATH, to the packed tarball the global set-up installed, and the run
 * report is written to `reports/<name>.json` in the fixture.
 */
export async function runMocha(
  fixture: string,
  args: readonly string[],
  options: {
    readonly name: string
    readonly mocha11?: boolean
    readonly env?: Record<string, string | undefined>
    readonly nodeArgs?: readonly string[]
    /**
     * Where Mocha runs (default: the fixture's folder). The folder that holds the installed
     * `node_modules/loopcop` (`fixtures`) is a user's layout: Mocha then writes loopcop's frames
     * relative to it in the stacks it records.
     */
    readonly cwd?: string
    /** The Node binary to run Mocha on (default: this process's). */
    readonly node?: string
  },
): Promise<MochaRun> {
  assertInstalled()
  const cwd = options.cwd ?? join(mochaFixtures, fixture)
  const reportPath = join('reports', `${options.name}.json`)
  rmSync(join(cwd, reportPath), { force: true })
  const result = await runNode(options.mocha11 === true ? bins.mocha11 : bins.mocha, ['--reporter', 'json', ...args], {
    cwd,
    // Stall detection off unless a test asks for it: on a loaded machine a descheduled process
    // looks like a stall, which would add findings to runs whose exact findings are asserted.
    // The fixtures' spec files block themselves, standing for the code under test: counted
    // (LOOPCOP_TEST_CODE=check); the default, allowing them, has its own tests (adoption.test.ts).
    env: { NODE_PATH: join(fixtures, 'node_modules'), LOOPCOP_REPORT: reportPath, LOOPCOP_STALL_MS: '0', LOOPCOP_TEST_CODE: 'check', ...options.env },
    timeoutMs: 180_000,
    ...(options.nodeArgs !== undefined && { nodeArgs: options.nodeArgs }),
    ...(options.node !== undefined && { node: options.node }),
  })
  let json: MochaJson
  try {
    json = JSON.parse(result.stdout) as MochaJson
  } catch (error) {
    throw new Error(`mocha printed no JSON (exit ${result.code}):\n${result.output}`, { cause: error })
  }
  let report: JsonReport | undefined
  try {
    report = JSON.parse(readFileSync(join(cwd, reportPath), 'utf8')) as JsonReport
  } catch {
    report = undefined
  }
  return {
    ...result,
    json,
    report,
    failed: json.failures.map((f) => f.fullTitle).sort(),
    message(title) {
      const failure = json.failures.find((f) => f.fullTitle === title)
      if (failure === undefined) throw new Error(`"${title}" did not fail; failed: ${json.failures.map((f) => f.fullTitle).join(', ')}`)
      return failure.err.message ?? ''
    },
  }
}
