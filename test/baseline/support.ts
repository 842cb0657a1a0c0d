// Runs the real Vitest, Jest and Mocha on the baseline fixture (test/fixtures/baseline): the same
// code under test, the same four tests, one test folder per runner.
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { JsonReport } from '../../src/index.js'
import { type RunResult, assertInstalled, bins, fixtures, installed, runNode } from '../helpers/run.js'

/** The fixture project. */
export const project = join(fixtures, 'baseline')

/** A runner as the baseline tests drive it. */
export interface Runner {
  readonly name: 'vitest' | 'jest' | 'mocha'
  /** Runs it on the whole suite (`files` empty) or on some test files; `nodeArgs`: Node's own flags, before the runner's bin. */
  run(env: Record<string, string | undefined>, files?: readonly string[], nodeArgs?: readonly string[]): Promise<BaselineRun>
  /** The file of the users tests. */
  readonly usersFile: string
  /**
   * The arguments of a partial run of the users tests: their file (Vitest, Jest), or `--grep`
   * (Mocha runs the configured spec and a file named besides: the whole suite).
   */
  readonly partial: readonly string[]
}

/** One run: its output, loopcop's JSON report, how many tests failed and passed. */
export interface BaselineRun extends RunResult {
  readonly report: JsonReport | undefined
  readonly failed: number
  readonly passed: number
  /** Where the JSON report was written. */
  readonly reportPath: string
}

/** A fresh folder for one runner's baseline and reports. */
export function workDir(): string {
  return mkdtempSync(join(tmpdir(), 'loopcop-baseline-'))
}

function counts(name: Runner['name'], output: string): { failed: number; passed: number } {
  const n = (re: RegExp): number => Number(re.exec(output)?.[1] ?? 0)
  if (name === 'mocha') return { failed: n(/(\d+) failing/), passed: n(/(\d+) passing/) }
  if (name === 'jest') return { failed: n(/Tests:.*?(\d+) failed/), passed: n(/Tests:.*?(\d+) passed/) }
  return { failed: n(/Tests\s+(\d+) failed/), passed: n(/Tests\s+(?:\d+ failed \| )?(\d+) passed/) }
}

let reports = 0

/** The three runners, each run with stall detection off (a loaded machine would add stalls) and a JSON report in `dir`. */
export function runners(dir: string): Runner[] {
  const make = (name: Runner['name'], bin: string, args: readonly string[], usersFile: string): Runner => ({
    name,
    usersFile,
    partial: name === 'mocha' ? ['--grep', 'users'] : [usersFile],
    async run(env, files = [], nodeArgs = []) {
      assertInstalled()
      const reportPath = join(dir, `report-${++reports}.json`)
      const result = await runNode(bin, [...args, ...files], { cwd: project, env: { NODE_PATH: join(fixtures, 'node_modules'), LOOPCOP_STALL_MS: '0', LOOPCOP_REPORT: reportPath, ...env }, timeoutMs: 180_000, nodeArgs })
      let report: JsonReport | undefined
      try {
        report = JSON.parse(readFileSync(reportPath, 'utf8')) as JsonReport
      } catch {
        report = undefined
      }
      return { ...result, report, reportPath, ...counts(name, result.output) }
    },
  })
  return [
    make('vitest', bins.vitest, ['run'], 'vitest/users.test.mjs'),
    make('jest', bins.jest, ['--ci', '--cacheDirectory', join(dir, 'jest-cache')], 'jest/users.test.js'),
    make('mocha', bins.mocha, [], 'mocha/users.spec.js'),
  ]
}

/** The `loopcop` command line as installed from the packed tarball (`npx loopcop` runs this file). */
export function runCli(args: readonly string[], cwd: string): Promise<RunResult> {
  const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { bin: { loopcop: string } }
  return runNode(join(installed, pkg.bin.loopcop), args, { cwd })
}
