/**
 * `loopcop/jest/reporter`: at the end of the run, the findings of every Jest worker grouped by call
 * site, the JSON report, and GitHub annotations when `GITHUB_ACTIONS=true`.
 *
 * ```js
 * reporters: ['default', ['loopcop/jest/reporter', { json: 'reports/loopcop.json' }]]
 * ```
 * @module
 */
import { realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { type Completeness, type Options, PARTIAL, currentOptions, envOverrides, finishRun, firstPartial, isGiven, projectCwd, reportRun, startRun, unmappedLinesNote, validateOptions } from '../../src/integration.js'
import { focusReason } from '../../src/runner/focus.js'
import { type WatchedProject, watchedByJest } from './watched.js'

/** Options of the reporter (the second element of its `reporters` entry). */
export interface LoopcopReporterOptions {
  /** Path of the JSON report, relative to the working directory. `LOOPCOP_REPORT` wins over it. */
  readonly json?: string
  /**
   * Print GitHub Actions annotations (`::error file=…,line=…::…`) at each call site.
   * @default process.env.GITHUB_ACTIONS === 'true'
   */
  readonly github?: boolean
}

/** The part of a Jest project context the reporter reads: `testEnvironmentOptions.loopcop.report`, its runner and root. */
interface ProjectContext {
  readonly config?: WatchedProject & { readonly testEnvironmentOptions?: Record<string, unknown>; readonly runner?: unknown }
  /** The project's file map (`patternsRanAll`). */
  readonly hasteFS?: { getAllFiles(): readonly string[] }
}

/**
 * Jest reporter. It records the run in Jest's main process (`startRun`): its workers (child
 * processes, started after it) send their findings there, and so do tests run in band; at the end
 * of the run it has every finding once (by id).
 */
export default class LoopcopReporter {
  readonly #options: LoopcopReporterOptions
  /** Why the last run's report failed (Jest fails the run with it). */
  #error: Error | undefined

  readonly #complete: Completeness
  /** Jest's global configuration, for whether a run given test path patterns ran the whole suite after all. */
  readonly #globalConfig: unknown
  /** In watch mode: Jest's coverage directory (a change there starts no run); `undefined` otherwise. */
  readonly #watching: { readonly coverageDirectory: unknown } | undefined
  /** Jest's `verbose`: its summary then starts without a blank line of its own. */
  readonly #verbose: boolean
  /** Whether the JSON report left out in watch mode has been said. */
  #saidWatched = false

  constructor(globalConfig?: unknown, options?: LoopcopReporterOptions) {
    this.#globalConfig = globalConfig
    this.#complete = completeRun(globalConfig)
    const global = (typeof globalConfig === 'object' && globalConfig !== null ? globalConfig : {}) as Record<string, unknown>
    this.#watching = global.watch === true || global.watchAll === true ? { coverageDirectory: global.coverageDirectory } : undefined
    this.#verbose = global.verbose === true
    this.#options = validateOptions({ report: options ?? {} }, ['report'], 'the options of loopcop/jest/reporter').report ?? {}
    // A wrong LOOPCOP_* variable stops the run here, before any test, with the variable named.
    envOverrides()
    // Before Jest forks its workers, so that they send their findings to this run.
    startRun()
  }

  /** Each run of watch mode is recorded afresh (Jest forks new workers for it). */
  onRunStart(): void {
    startRun()
  }

  /** Prints the summary, writes the JSON report, prints annotations; then ends the recording. */
  onRunComplete(testContexts?: ReadonlySet<ProjectContext>, results?: RunResults): void {
    const { findings, lost, checked } = finishRun()
    const unchecked = checked ? undefined : uncheckedReason(results, otherRunner(testContexts), environmentOption())
    const fromProject = projectReport(testContexts)
    const json = this.#unlessWatched(envOverrides().report?.json ?? this.#options.json ?? fromProject.json, testContexts)
    const github = this.#options.github ?? fromProject.github
    // LOOPCOP_BASELINE names the path; `testEnvironmentOptions.loopcop.baseline` may say more (strict).
    const baseline = mergedBaseline(currentOptions().baseline, fromProject.baseline)
    const { error } = reportRun(findings, {
      ...(unchecked !== undefined && { unchecked }),
      ...(baseline !== undefined && { baseline }),
      ...(json !== undefined && { json }),
      ...(github !== undefined && { github }),
      lost,
      complete: () => firstPartial(() => this.#completeRun(testContexts, results), () => ranThrough(results)),
      // stdout carries `jest --json`: loopcop writes where Jest's own reporters do.
      write: (text) => process.stderr.write(text + '\n'),
    })
    // ts-jest under a tsconfig without source maps (class-validator's): the lines are the compiled code's.
    const note = unmappedLinesNote(findings, projectCwd())
    if (note !== undefined) process.stderr.write(`${note}\n`)
    this.#error = error
    if (error !== undefined) process.stderr.write(`${error.message}\n`)
    // Jest's summary ("Test Suites: …") comes next. It starts with a blank line only where the
    // output before it ends without one (not verbose, the last file without failures); else it
    // counts on a failure's trailing blank line, which loopcop's lines now follow.
    const last = results?.testResults?.at(-1)
    if (this.#verbose || last === undefined || (last.numFailingTests ?? 0) > 0 || (last.testExecError ?? undefined) !== undefined) process.stderr.write('\n')
  }

  /** Whether the run ran the whole suite (`completeRun`), test path patterns that let every test file run included. */
  #completeRun(contexts: ReadonlySet<ProjectContext> | undefined, results: RunResults | undefined): Completeness {
    if (this.#complete !== PARTIAL.namedFiles) return this.#complete
    return patternsRanAll(contexts, results) ? completeRun(this.#globalConfig, undefined, true) : this.#complete
  }

  /**
   * The JSON report's path, unless this is watch mode and Jest watches it: writing it there would
   * start the next run, and that run's report the next. Said once a watch session.
   */
  #unlessWatched(json: string | undefined, contexts: ReadonlySet<ProjectContext> | undefined): string | undefined {
    if (json === undefined || this.#watching === undefined) return json
    const projects = [...(contexts ?? [])].map((ctx) => ctx.config ?? {})
    // Where reportRun writes it: against the project's directory.
    if (!watchedByJest(resolve(projectCwd(), json), projects, this.#watching.coverageDirectory)) return json
    if (!this.#saidWatched) {
      this.#saidWatched = true
      process.stderr.write(
        `loopcop: the JSON report is not written in watch mode: Jest watches ${json}, and writing it would start the next run (and that one's the next). To have it, write it outside the project's roots or match it in watchPathIgnorePatterns.\n`,
      )
    }
    return undefined
  }

  /** Jest fails the run with this: a JSON report that could not be written (failing tests fail it themselves). */
  getLastError(): Error | undefined {
    return this.#error
  }
}

/**
 * Whether this run runs the whole suite, so that a baseline entry it did not see is a fixed one
 * (`true`), else why not; a complete run has no test path pattern (`jest test/a`), unless
 * `patternsRanAll` (every test file of the suite ran anyway), no `-t`, no
 * `--shard`, `--onlyChanged`, `--onlyFailures`, `--findRelatedTests`, `--changedSince`,
 * `--lastCommit`, `--filter`, no watch mode, and no option
 * on the command line (`argv`: the process's, which holds Jest's own when Jest runs from its bin or
 * a wrapper passes its arguments on; options given to `runCLI()` in code are not seen) that
 * narrows the configured suite ({@link NARROWING}: `--testPathIgnorePatterns`, `--selectProjects`, …).
 */
export function completeRun(globalConfig: unknown, argv: readonly string[] = process.argv.slice(2), patternsRanAll = false): Completeness {
  if (typeof globalConfig !== 'object' || globalConfig === null) return false
  const c = globalConfig as Record<string, unknown>
  if (hasPathPatterns(c) && !patternsRanAll) return PARTIAL.namedFiles
  const option = GLOBAL_NARROWING.find(([key]) => isGiven(c[key]))
  if (option !== undefined) return option[1]
  const given = narrowingOption(argv)
  return given === undefined ? true : `--${given} on the command line`
}

/** Whether the command line gave test path patterns (`jest packages`, `--testPathPatterns`). */
function hasPathPatterns(c: Record<string, unknown>): boolean {
  const patterns = c.testPathPatterns as { patterns?: unknown } | readonly unknown[] | undefined
  const pathFilters = Array.isArray(patterns) ? patterns.length : Array.isArray((patterns as { patterns?: unknown } | undefined)?.patterns) ? (patterns as { patterns: unknown[] }).patterns.length : 0
  return pathFilters > 0 || isGiven(c.testPathPattern) || isGiven(c.nonFlagArgs)
}

/** Jest's own test-file predicate of a project (`@jest/core`'s `SearchSource`): its roots, `testMatch`, `testRegex` and `testPathIgnorePatterns`. */
export type TestFileMatcher = new (context: unknown) => { isTestFilePath(path: string): boolean }

/**
 * Jest's `SearchSource`, from the `@jest/core` of the Jest that runs (found from its command, else
 * from the project's folder); undefined where it cannot be found.
 */
function jestSearchSource(): TestFileMatcher | undefined {
  const from: string[] = []
  try {
    if (process.argv[1] !== undefined) from.push(realpathSync(process.argv[1]))
  } catch {
    // Not a file: the project's folder below.
  }
  from.push(join(projectCwd(), 'package.json'))
  for (const file of from) {
    try {
      const core = createRequire(file)('@jest/core') as { SearchSource?: unknown }
      if (typeof core.SearchSource === 'function') return core.SearchSource as TestFileMatcher
    } catch {
      // Not there: the next place.
    }
  }
  return undefined
}

/**
 * Whether the run ran every test file of the configured suite, though test path patterns were
 * given (`jest packages` in a monorepo whose test files are all under `packages/`: the run was
 * partial, so its baseline never listed a fixed entry): each project's test files, as Jest tells
 * them in its file map, are among the files the run ran. Not told (false) without the file maps or
 * Jest's `SearchSource`.
 */
export function patternsRanAll(contexts: ReadonlySet<ProjectContext> | undefined, results: RunResults | undefined, matcher: TestFileMatcher | undefined = jestSearchSource()): boolean {
  if (contexts === undefined || contexts.size === 0 || results?.testResults === undefined || matcher === undefined) return false
  const ran = new Set(results.testResults.map((r) => r.testFilePath))
  try {
    for (const context of contexts) {
      const files = context.hasteFS?.getAllFiles()
      if (files === undefined) return false
      const search = new matcher(context)
      for (const file of files) if (!ran.has(file) && search.isTestFilePath(file)) return false
    }
    return true
  } catch {
    return false
  }
}

/** What in Jest's global configuration makes a run part of the suite, and how to say it. */
const GLOBAL_NARROWING: readonly (readonly [key: string, said: string])[] = [
  ['testNamePattern', 'a test name pattern (-t)'],
  ['shard', '--shard'],
  ['onlyChanged', '--onlyChanged'],
  ['onlyFailures', '--onlyFailures'],
  ['findRelatedTests', '--findRelatedTests'],
  ['changedSince', '--changedSince'],
  ['lastCommit', '--lastCommit'],
  ['filter', '--filter'],
  ['watch', 'watch mode'],
  ['watchAll', 'watch mode'],
]

/**
 * Options of Jest's command line that choose which test files of the configured suite run (Jest
 * takes any project option there): given there, they make a run part of the suite. Written in the
 * configuration, they define the suite.
 */
const NARROWING: ReadonlySet<string> = new Set(['testPathIgnorePatterns', 'testMatch', 'testRegex', 'roots', 'rootDir', 'projects', 'selectProjects', 'ignoreProjects', 'modulePathIgnorePatterns', 'moduleFileExtensions'])

/** The first {@link NARROWING} option in `argv` (`--testMatch x`, `--test-match=x`), if any. */
function narrowingOption(argv: readonly string[]): string | undefined {
  for (const arg of argv) {
    if (arg === '--') break
    const name = /^--([^=]+)/.exec(arg)?.[1]?.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
    if (name !== undefined && NARROWING.has(name)) return name
  }
  return undefined
}

/**
 * The test environment Jest's command line names (`--env node`, `--env=jsdom`, `--testEnvironment
 * node`), as given, unless it is loopcop's: it replaces the configuration's. `undefined` when none.
 */
export function environmentOption(argv: readonly string[] = process.argv.slice(2)): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') break
    const match = /^--(env|testEnvironment|test-environment)(?:=(.*))?$/.exec(arg)
    if (match === null) continue
    const value = match[2] ?? argv[i + 1]
    if (value === undefined || value.startsWith('-')) continue
    return /loopcop/.test(value) ? undefined : `--${match[1]} ${value}`
  }
  return undefined
}

/** What of Jest's aggregated results tells whether every test file ran through. */
interface RunResults {
  readonly numRuntimeErrorTestSuites?: number
  readonly numFailedTestSuites?: number
  readonly numTotalTestSuites?: number
  readonly numPassedTests?: number
  readonly numFailedTests?: number
  readonly wasInterrupted?: boolean
  /** Each test file's: its path, and how many of its tests it skipped. */
  readonly testResults?: readonly { readonly testFilePath?: string; readonly numPendingTests?: number; readonly numFailingTests?: number; readonly testExecError?: unknown }[]
}

/**
 * Whether every test of the run ran through, so that a baseline entry it did not see cannot belong
 * to a test that did not run or stopped before its call (`true`), else why not: a test file failed
 * (a failing test or hook, `--bail`) or failed to run (an import error, a crashed worker), `.only`
 * (or `fit`) skipped tests ({@link focusReason}), or the run was interrupted. Without results, it did not.
 */
export function ranThrough(results: RunResults | undefined): Completeness {
  if (results === undefined) return false
  if (results.wasInterrupted === true) return PARTIAL.interrupted
  if ((results.numFailedTestSuites ?? 1) !== 0 || (results.numRuntimeErrorTestSuites ?? 0) !== 0) return PARTIAL.failed
  return focusReason((results.testResults ?? []).map((r) => ({ file: r.testFilePath, skipped: () => (r.numPendingTests ?? 0) > 0 }))) ?? true
}

/**
 * Why no test file said it was checked (see `fileChecked`), when that needs saying: every file failed
 * to run (a compile or import error, a crashed worker: they never reach loopcop's environment), or
 * tests ran outside loopcop's environment — under a `runner` that runs them without Jest's test
 * environment (`runner`: its name), or with another `testEnvironment`. A run whose tests were all
 * skipped needs no advice.
 */
export function uncheckedReason(results: RunResults | undefined, runner?: string, environment?: string): string | undefined {
  const files = results?.numTotalTestSuites ?? 0
  if (files === 0) return undefined
  // The runner first: under one that never uses Jest's test environment, no file could have reported.
  if (runner !== undefined) return `no test file was checked: the tests ran under the runner ${runner}, which does not run them in Jest's test environment (testEnvironment is not used), where loopcop checks each test; loopcop works with Jest's own runner (jest-runner)`
  if ((results?.numRuntimeErrorTestSuites ?? 0) === files) return 'no test file reported to loopcop: every test file failed to run (a compile or import error, a crashed worker?); findings of those files are missing from this report'
  if ((results?.numPassedTests ?? 0) + (results?.numFailedTests ?? 0) === 0) return undefined
  // A test script's `jest --env node` replaces the configuration's loopcop environment (cross-spawn's).
  if (environment !== undefined) return `no test file was checked: ${environment} on the command line replaces the testEnvironment of the Jest config, so the tests ran outside loopcop's environment; drop it from the command (or give --env=loopcop/jest/environment)`
  return "no test file was checked: set testEnvironment to 'loopcop/jest/environment' (or to a file made with withLoopcop) in the Jest config, in each project's config with `projects` (the reporter only collects what the environment finds)"
}

/** The first project's `runner` when it is not Jest's own (jest-runner): its package name, or its path (relative to the project's `rootDir` when inside it). */
function otherRunner(contexts: ReadonlySet<ProjectContext> | undefined): string | undefined {
  for (const ctx of contexts ?? []) {
    const runner = ctx.config?.runner
    if (typeof runner !== 'string' || runner === 'jest-runner' || /[\\/]node_modules[\\/]jest-runner[\\/]/.test(runner)) continue
    const pkg = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(runner)?.[1]?.replace('\\', '/')
    if (pkg !== undefined) return pkg
    // A runner given as a file: as the user wrote it, relative to the project (Jest resolved it to an absolute path).
    const rootDir = typeof ctx.config?.rootDir === 'string' ? ctx.config.rootDir : process.cwd()
    const shown = isAbsolute(runner) ? relative(rootDir, runner) : runner
    return shown === '' || shown.startsWith('..') ? runner : shown.split('\\').join('/')
  }
  return undefined
}

/** `testEnvironmentOptions.loopcop.report` of the first project that sets it, and its `baseline`. */
function projectReport(contexts: ReadonlySet<ProjectContext> | undefined): { json?: string; github?: boolean; baseline?: Options['baseline'] } {
  for (const ctx of contexts ?? []) {
    const loopcop = ctx.config?.testEnvironmentOptions?.loopcop as { report?: unknown; baseline?: unknown } | undefined
    if (loopcop?.report !== undefined || loopcop?.baseline !== undefined) {
      const valid = validateOptions({ report: loopcop.report ?? {}, ...(loopcop.baseline !== undefined && { baseline: loopcop.baseline }) }, ['report', 'baseline'], 'testEnvironmentOptions.loopcop')
      return { ...valid.report, ...(valid.baseline !== undefined && { baseline: valid.baseline }) }
    }
  }
  return {}
}

/** The environment's path (LOOPCOP_BASELINE) with the project's `strict`, else the project's baseline. */
function mergedBaseline(fromEnv: Options['baseline'], fromProject: Options['baseline']): Options['baseline'] {
  if (fromEnv === undefined) return fromProject
  const path = typeof fromEnv === 'string' ? fromEnv : fromEnv.path
  const strict = typeof fromProject === 'object' ? fromProject.strict : undefined
  return strict === undefined ? fromEnv : { path, strict }
}

