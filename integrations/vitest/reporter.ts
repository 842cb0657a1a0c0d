/**
 * `loopcop/vitest/reporter`: at the end of the run, the blocking calls of every worker grouped by
 * call site (operation + your line: calls, time blocked, tests), the JSON report when
 * `report.json` or `LOOPCOP_REPORT` is set, GitHub annotations when `GITHUB_ACTIONS=true`.
 * Add it next to a reporter that shows the tests; it needs `loopcop/vitest` in `setupFiles`.
 * @example reporters: ['default', 'loopcop/vitest/reporter']
 * @example reporters: ['default', ['loopcop/vitest/reporter', { json: 'reports/loopcop.json' }]]
 * @module
 */
import type { Reporter, TestModule, TestSpecification, Vitest } from 'vitest/node'
import { type Completeness, type Finding, type Options, PARTIAL, type RecordedRun, RunCollector, RunRecording, currentOptions, envOverrides, failedItsTest, failedNothing, firstPartial, isGiven, projectCwd, reportRun, unsupportedRunner, validateOptions } from '../../src/integration.js'
import { focusReason } from '../../src/runner/focus.js'
import { REPORTER_KEY, readMeta } from './meta.js'
import { PROVIDE_KEY, assertProvidedOptions } from './provide-check.js'

/** Options of `loopcop/vitest/reporter`; they win over `configure({ report })` and `LOOPCOP_REPORT`. */
export interface LoopcopReporterOptions {
  /** Path of the JSON report, relative to the project root. @default process.env.LOOPCOP_REPORT, else `configure({ report: { json } })` */
  readonly json?: string
  /** Print GitHub Actions annotations. @default process.env.GITHUB_ACTIONS === 'true' */
  readonly github?: boolean
}

/** What the test files sent: their findings, the options their workers ran with, and which of them failed a test. */
export interface CollectedFindings {
  readonly findings: Finding[]
  readonly workerOptions: (Pick<Options, 'report' | 'mode'> & Partial<Pick<Options, 'baseline'>>) | undefined
  readonly checkedFiles: number
  /**
   * The projects (`test.projects`) whose test files ran tests and sent loopcop nothing, by name, with
   * how many such files each had: their config lacks `loopcop/vitest` in `setupFiles` (a project's
   * config does not take the root's unless it `extends` it). `configless`: the project has no config
   * file of its own.
   */
  readonly uncheckedProjects: readonly { readonly name: string; readonly files: number; readonly configless: boolean }[]
  /** Ids of the findings failed tests and failed files (leaks) failed with: Vitest reports those failures itself. */
  readonly inFailures: ReadonlySet<string>
}

/** What a run whose Vitest loopcop does not support collects. */
const NOTHING_COLLECTED: CollectedFindings = { findings: [], workerOptions: undefined, checkedFiles: 0, uncheckedProjects: [], inFailures: new Set() }

/** Every finding the workers sent in the tasks' `meta` (tests' own findings, and leaks kept on their file), each once. */
export function collectFindings(testModules: readonly TestModule[]): CollectedFindings {
  const collector = new RunCollector()
  const inFailures = new Set<string>()
  let workerOptions: CollectedFindings['workerOptions']
  let checkedFiles = 0
  // Per project: test files that ran a test, and how many of those loopcop checked.
  const projects = new Map<string, { ran: number; checked: number; configless: boolean }>()
  for (const testModule of testModules) {
    let checked = false
    for (const testCase of testModule.children.allTests()) {
      const meta = readMeta(testCase.meta())
      checked ||= meta !== undefined
      const state = testCase.result().state
      // A test that passed in the end (a `retry` after a failed try, `test.fails`): what it failed with failed nothing.
      const findings = state === 'failed' ? (meta?.findings ?? []) : (meta?.findings ?? []).map((f) => (failedItsTest(f) ? failedNothing(f) : f))
      collector.add(findings)
      if (state === 'failed') for (const f of findings) if (failedItsTest(f)) inFailures.add(f.id)
    }
    const file = readMeta(testModule.meta())
    // A file's own meta comes at its end; a test's at the test's end (a worker that died between has only the latter).
    const fileChecked = file !== undefined || checked
    if (fileChecked) checkedFiles++
    if (hasTest(testModule, 'passed', 'failed')) {
      const name = testModule.project.name
      const p = projects.get(name) ?? { ran: 0, checked: 0, configless: configless(testModule.project) }
      p.ran++
      if (fileChecked) p.checked++
      projects.set(name, p)
    }
    collector.add(file?.leaks ?? [])
    if (testModule.state() === 'failed') for (const f of file?.leaks ?? []) if (failedItsTest(f)) inFailures.add(f.id)
    if (workerOptions === undefined || (workerOptions.report.json === undefined && file?.options?.report.json !== undefined)) workerOptions = file?.options
  }
  const uncheckedProjects = [...projects].filter(([, p]) => p.checked === 0).map(([name, p]) => ({ name, files: p.ran, configless: p.configless }))
  return { findings: collector.findings, workerOptions, checkedFiles, uncheckedProjects, inFailures }
}

/**
 * Whether this run ran the whole suite, so that a baseline entry it did not see is a fixed one
 * (`true`), else why not: a file filter (`vitest run test/a.test.ts`), `-t`, `--project`,
 * `--exclude` or `--dir` given on the command line (which narrow the configuration's suite),
 * `--shard`, `--changed`, `--related`, `--lastFailed`, `--tags`, or a watch-mode rerun.
 */
export function completeRun(vitest: Vitest | undefined, filtersRanAll = false): Completeness {
  if (vitest === undefined) return false
  const c = vitest.config as unknown as Record<string, unknown>
  // The command line's own options: Vitest 4 keeps them on the instance, Vitest 5 in the config.
  const cli = ((vitest as unknown as { _cliOptions?: unknown })._cliOptions ?? c.cliOptions ?? {}) as Record<string, unknown>
  if (fileFilters(vitest).length > 0 && !filtersRanAll) return PARTIAL.namedFiles
  const narrowed = IN_CONFIG.find(([key]) => isGiven(c[key])) ?? ON_COMMAND_LINE.find(([key]) => isGiven(cli[key]))
  return narrowed === undefined ? true : narrowed[1]
}

/** The file filters of the command line (`vitest run packages`: a test file runs when its path has one). */
function fileFilters(vitest: Vitest): readonly string[] {
  return (vitest as unknown as { filenamePattern?: readonly string[] }).filenamePattern ?? []
}

/**
 * Whether the file filters of the command line let every test file of the configured suite run
 * (`specifications`, the run's): inquirer's `vitest --run packages`, whose every test file is under
 * `packages/`, was a partial run, so its baseline never listed a fixed entry. A filter with a line
 * (`a.test.ts:12`) runs part of a file.
 */
export async function filtersRanAll(vitest: Vitest | undefined, specifications: readonly TestSpecification[] | undefined): Promise<boolean> {
  if (vitest === undefined || specifications === undefined) return false
  const filters = fileFilters(vitest)
  if (filters.length === 0 || filters.some((f) => /:\d+$/.test(f))) return false
  try {
    const key = (spec: TestSpecification): string => `${spec.project.name}\u0000${spec.moduleId}`
    const ran = new Set(specifications.map(key))
    const all = await vitest.globTestSpecifications()
    return all.every((spec) => ran.has(key(spec)))
  } catch {
    // Not told: the filters stay a partial run's.
    return false
  }
}

/** What in Vitest's resolved configuration makes a run part of the suite (each set there from the command line), and how to say it. */
const IN_CONFIG: readonly (readonly [key: string, said: string])[] = [
  ['testNamePattern', 'a test name pattern (-t)'],
  ['project', '--project on the command line'],
  ['cliExclude', '--exclude on the command line'],
  ['shard', '--shard'],
  ['changed', '--changed'],
  ['related', '--related'],
  ['lastFailed', '--lastFailed'],
  ['tagsFilter', '--tags'],
  ['watch', 'watch mode'],
]

/** Vitest's command-line options that make a run part of the suite: `dir` in the configuration defines the suite. */
const ON_COMMAND_LINE: readonly (readonly [key: string, said: string])[] = [
  ['dir', '--dir on the command line'],
  ['lastFailed', '--lastFailed'],
]

/**
 * Whether every test of the run ran through, so that a baseline entry it did not see cannot belong
 * to a test that did not run or stopped before its call (`true`), else why not: a file failed, failed
 * to load or crashed, `.only` skipped tests ({@link focusReason}), an error outside the tests, or
 * the run was interrupted.
 */
export function ranThrough(testModules: readonly TestModule[], unhandledErrors: readonly unknown[], reason: string | undefined): Completeness {
  if (reason === 'interrupted') return PARTIAL.interrupted
  if (unhandledErrors.length > 0) return 'errors outside the tests'
  if (testModules.some((m) => m.errors().length > 0 || (m.state() !== 'passed' && m.state() !== 'skipped'))) return PARTIAL.failed
  return focusReason(testModules.map((m) => ({ file: m.moduleId, skipped: () => hasTest(m, 'skipped') }))) ?? true
}

/** Whether a test file has a test that ended in one of `states` (`'skipped'`: written `.skip`, or left out by another's `.only`). */
function hasTest(m: TestModule, ...states: readonly ('passed' | 'failed' | 'skipped')[]): boolean {
  for (const state of states) for (const _ of m.children.allTests(state)) return true
  return false
}

/** Whether Vitest's own `github-actions` reporter runs too (it annotates every failed test). */
function vitestAnnotates(vitest: Vitest): boolean {
  const named = (vitest.config.reporters as readonly unknown[]).some((r) => (Array.isArray(r) ? r[0] : r) === 'github-actions')
  const instances = (vitest as { reporters?: readonly unknown[] }).reporters ?? []
  return named || instances.some((r) => typeof r === 'object' && r !== null && r.constructor.name === 'GithubActionsReporter')
}

/** The Vitest reporter of loopcop's run summary, JSON report and annotations. */
export default class LoopcopReporter implements Reporter {
  readonly #options: LoopcopReporterOptions
  #vitest: Vitest | undefined
  /**
   * The run's spool folder (src/report/run.ts, `RunRecording`), while a run runs: where test files
   * mark the call sites `warn` mode has printed, and leave what blocked after their file had ended.
   */
  #recording: RunRecording | undefined
  #exitHook = false
  /** The options of the config's `test.provide.loopcop`, validated. */
  #provided: Partial<Options> | undefined
  /** The command line's file filters let every test file of the suite run (see `filtersRanAll`). */
  #filtersRanAll = false

  constructor(options: LoopcopReporterOptions = {}) {
    this.#options = validateOptions({ report: options }, ['report'], 'loopcop/vitest/reporter options').report ?? {}
    // A wrong LOOPCOP_* variable stops the run here, before any test, with the variable named.
    envOverrides()
  }

  /** Keeps Vitest's logger and project root; tells the test files the run has this reporter. */
  onInit(vitest: Vitest): void {
    this.#vitest = vitest
    // A wrong option stops the run here, before any test file fails on it (where it would leave this
    // reporter to say that no file was checked).
    const given = (vitest.config as { provide?: Record<string, unknown> } | undefined)?.provide?.[PROVIDE_KEY]
    if (given !== undefined) this.#provided = assertProvidedOptions(given)
    const provide = (vitest as { provide?: (key: string, value: unknown) => void }).provide
    if (typeof provide === 'function') Reflect.apply(provide, vitest, [REPORTER_KEY, true])
  }

  /** Starts the run's recording, and tells whether the command line's file filters let the whole suite run (`filtersRanAll`). */
  async onTestRunStart(specifications?: readonly TestSpecification[]): Promise<void> {
    this.#filtersRanAll = false
    this.#startRecording()
    this.#filtersRanAll = await filtersRanAll(this.#vitest, specifications)
  }

  /**
   * Makes the run's spool folder (`RunRecording`), named to the test files' forks and threads,
   * which start after this and inherit it. There they mark the call sites `warn` mode has printed,
   * so that each is printed once a run, not once a test file, and leave the calls work a test left
   * running made after its file had ended, too late for the file's meta (Vitest stops an isolated
   * file's fork as the file ends). It lives as long as the run (a watch mode rerun prints its call
   * sites again), and no longer: a watch session stopped between runs leaves nothing behind.
   */
  #startRecording(): void {
    // A run that never ended (cancelled): what it left is not this run's.
    this.#finishRecording()
    try {
      this.#recording = new RunRecording()
    } catch {
      // No usable temporary folder: each test file says its own first sighting of a site, and what
      // blocks after a file's end goes with the worker's next file, if any.
      return
    }
    if (!this.#exitHook) {
      this.#exitHook = true
      // A run ended by process.exit() (Vitest's own on a fatal error) never reaches onTestRunEnd.
      process.once('exit', () => this.#finishRecording())
    }
  }

  /** Ends the run's recording (removing its folder): what the test files left there. */
  #finishRecording(): RecordedRun | undefined {
    const recording = this.#recording
    this.#recording = undefined
    return recording?.finish()
  }

  /** Prints the summary, writes the JSON report and the annotations, from what the test files sent. */
  onTestRunEnd(testModules: readonly TestModule[], unhandledErrors: readonly unknown[] = [], reason?: string): void {
    // A Vitest loopcop does not support sent nothing (its setup file refused it), and may lack what
    // the collecting reads (Vitest 3.0 has no `TestModule.meta()`, tsup's): the run then says why.
    const collected = unsupportedRunner('Vitest', this.#vitest?.version) === undefined ? collectFindings(testModules) : NOTHING_COLLECTED
    const { workerOptions, checkedFiles, uncheckedProjects, inFailures } = collected
    // With what blocked after its file had ended, gathered by call site with what came before.
    this.#recording?.add(collected.findings)
    const recorded = this.#finishRecording()
    const findings = recorded?.findings ?? collected.findings
    // In the main process, currentOptions() holds LOOPCOP_* and a configure() made in the config
    // file; the workers' configure() (a setup file's) arrives with the test files.
    const main = currentOptions()
    // The config's `test.provide.loopcop` last: the workers' options hold it, with a setup file's
    // configure() on top, but a run no test file of which was checked has none of theirs.
    const provided = this.#provided
    const json = this.#options.json ?? main.report.json ?? workerOptions?.report.json ?? provided?.report?.json
    const github = this.#options.github ?? main.report.github ?? workerOptions?.report.github ?? provided?.report?.github
    // The workers' configuration has LOOPCOP_BASELINE on top of a setup file's `baseline` (its `strict` kept).
    const baseline = workerOptions?.baseline ?? main.baseline ?? provided?.baseline
    const logger = this.#vitest?.logger
    // stderr, as under Jest and Mocha: stdout may carry another reporter's output (`json`), which
    // must stay parseable. GitHub reads workflow commands (the annotations) from either stream.
    const write = (text: string): void => {
      if (logger !== undefined) logger.error(text)
      else process.stderr.write(`${text}\n`)
    }
    const unchecked = checkedFiles > 0 ? undefined : testModules.length > 0 ? uncheckedReason(testModules, this.#vitest, uncheckedProjects) : noFileRan(unhandledErrors.length)
    const { error } = reportRun(findings, {
      ...(unchecked !== undefined && { unchecked }),
      ...(recorded !== undefined && recorded.lost > 0 && { lost: recorded.lost }),
      ...(checkedFiles > 0 && uncheckedProjects.length > 0 && { partlyUnchecked: partlyUncheckedReason(uncheckedProjects) }),
      ...(json !== undefined && { json }),
      ...(github !== undefined && { github }),
      // One annotation per problem: a failure Vitest's github-actions reporter annotates (at the
      // blocking line: a BlockingIOError's stack is the culprit's) is not annotated again here.
      ...(this.#vitest !== undefined && vitestAnnotates(this.#vitest) && { annotate: findings.filter((f) => !inFailures.has(f.id)) }),
      write,
      complete: () => firstPartial(() => completeRun(this.#vitest, this.#filtersRanAll), () => ranThrough(testModules, unhandledErrors, reason)),
      ...(baseline !== undefined && { baseline }),
      ...(this.#vitest !== undefined && { cwd: this.#vitest.config.root }),
      // The workers key findings and find the baseline from the working directory, not `--root`.
      baselineCwd: projectCwd(),
    })
    // The run fails as Vitest fails one whose coverage misses its thresholds: the reason printed,
    // the exit code set. Thrown, the error was printed as an "Unhandled Error" with loopcop's and
    // Vitest's frames under it, as if one of them had crashed (inquirer's strict baseline).
    if (error !== undefined) {
      write(error.message)
      process.exitCode = 1
    }
  }
}

/**
 * Why no test file of the run reported to loopcop, when that needs saying (see
 * `ReportRunOptions.unchecked`): first a Vitest older than loopcop supports (`version`), on which
 * every test file fails at loopcop/vitest (date-fns on Vitest 3: the run said "an import error, a crash?").
 */
function uncheckedReason(testModules: readonly TestModule[], vitest: Vitest | undefined, projects: CollectedFindings['uncheckedProjects']): string | undefined {
  const old = unsupportedRunner('Vitest', vitest?.version)
  if (old !== undefined) return `no test file was checked: ${old.message}`
  // Files that never ran a test (an import error, a worker that died) tell nothing about the set-up.
  // One whose tests ran, some failing on their own assertions, does (faker: its failed tests made
  // the run say every file had failed before its end, and the missing set-up went unsaid).
  if (testModules.every((m) => m.errors().length > 0 || (m.state() === 'failed' && !hasTest(m, 'passed', 'failed')))) return 'no test file reported to loopcop: every test file failed before its end (an import error, a crash?); findings of those files are missing from this report'
  // A run whose tests were all skipped (a -t that matched none) checked nothing, and needs no advice.
  if (!testModules.some((m) => hasTest(m, 'passed', 'failed'))) return undefined
  // Only projects of their own ran (`--project node`), and the root config sets loopcop up: what
  // is missing is in theirs (hono: the advice to add it to the root config's, which had it).
  if (projects.length > 0 && projects.every((p) => p.name !== '') && rootSetsUpLoopcop(vitest)) return `no test file was checked: ${partlyUncheckedReason(projects)}`
  return "no test file was checked: add 'loopcop/vitest' to `setupFiles` in the Vitest config (the reporter only collects what it finds)"
}

/**
 * Why a run in which no test file ran at all reported nothing, when it had errors (zustand on Node
 * 20: every worker failed to start, and the run ended "no blocking of the event loop found"); a run
 * without errors and without files (a filter that matched none) needs no word.
 */
function noFileRan(errors: number): string | undefined {
  if (errors === 0) return undefined
  return `no test file reported to loopcop: no test file ran, and the run had ${errors === 1 ? 'an error' : `${errors} errors`} (a worker or test environment that failed to start? see above)`
}

/** Whether the root config lists loopcop's Vitest entry in `setupFiles` (as Vitest resolved it: a path into the loopcop package). */
function rootSetsUpLoopcop(vitest: Vitest | undefined): boolean {
  try {
    const files = (vitest?.config as { setupFiles?: unknown } | undefined)?.setupFiles
    return Array.isArray(files) && files.some((f) => typeof f === 'string' && /[\\/]loopcop[\\/](?:dist[\\/].*[\\/])?(?:integrations[\\/]vitest|vitest)\b/.test(f))
  } catch {
    return false
  }
}

/**
 * Whether a project is a folder a `test.projects` glob matched that has no config file of its own,
 * which Vitest runs with its defaults (zod's `packages/*`): no config file, and a root of its own (an
 * inline project, which has no file either, has the root config's root unless it names one; one that
 * does gets advice that fits it too). False when that cannot be read.
 */
function configless(project: unknown): boolean {
  try {
    const p = project as { vite?: { config?: { configFile?: unknown } }; config?: { root?: unknown }; vitest?: { config?: { root?: unknown } } }
    const file = p.vite?.config?.configFile
    const root = p.config?.root
    return p.vite?.config !== undefined && (file === undefined || file === false) && typeof root === 'string' && root !== p.vitest?.config?.root
  } catch {
    return false
  }
}

/** What to say of projects whose test files loopcop did not check while it checked others' (see `CollectedFindings.uncheckedProjects`). */
function partlyUncheckedReason(projects: CollectedFindings['uncheckedProjects']): string {
  const said = (group: CollectedFindings['uncheckedProjects'], fix: (one: boolean) => string): string => {
    const files = group.reduce((n, p) => n + p.files, 0)
    const named = group.map((p) => (p.name === '' ? 'the root project' : `"${p.name}"`)).join(', ')
    return `${files} test file${files === 1 ? '' : 's'} of ${group.length === 1 ? 'project' : 'projects'} ${named} ran without loopcop: ${fix(group.length === 1)}`
  }
  const withConfig = projects.filter((p) => !p.configless)
  const configless = projects.filter((p) => p.configless)
  return [
    ...(withConfig.length > 0 ? [said(withConfig, (one) => `a project's config does not take the root config's \`setupFiles\` — add 'loopcop/vitest' to ${one ? 'its' : 'their'} \`setupFiles\` (or \`extends: true\` to ${one ? 'its entry' : 'their entries'} in \`test.projects\`)`)] : []),
    ...(configless.length > 0
      ? [said(configless, (one) => `${one ? 'it has' : 'they have'} no config file of ${one ? 'its' : 'their'} own (a folder a \`test.projects\` glob matched), so Vitest runs ${one ? 'it' : 'them'} with its defaults, not the root config's \`setupFiles\` — give ${one ? 'it' : 'each'} a \`vitest.config\` with \`setupFiles: ['loopcop/vitest']\`, or list ${one ? 'it' : 'them'} in \`test.projects\` as \`{ extends: true, test: { name, root } }\``)]
      : []),
  ].join('\nloopcop: ')
}

export { LoopcopReporter }
