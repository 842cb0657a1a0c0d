// The end of a run, the same for every runner (docs/architecture.md, "report"): every worker's
// findings counted once, then the summary, the JSON report and the annotations.
import { join, resolve } from 'node:path'
import { appendFileSync } from 'node:fs'
import type { Finding } from '../model/finding.js'
import { type Options, baselineOf, updateBaselineRequested } from '../model/options.js'
import { displayPath } from '../stack/frames.js'
import { type JsonBaseline, jsonReport, writeJsonReport } from './json.js'
import { markdownSummary } from './markdown.js'
import { LeakGathering, gatheredLeaks, isLeakedCall } from './leaks.js'
import { BaselineError } from './baseline.js'
import { type Completeness, PARTIAL } from '../model/completeness.js'
import { type RatchetOutcome, ratchet } from './ratchet.js'
import { closeSpool, openSpool, readSpool } from './spool.js'
import { formatSummary, githubAnnotations } from './summary.js'
import { closeWarned, openWarned } from './warned.js'
import { projectCwd } from '../runtime/cwd.js'

/** Collects findings from every worker of a run; a finding seen twice (same id) counts once. */
export class RunCollector {
  readonly #byId = new Map<string, Finding>()

  /** Adds findings; returns how many were new. */
  add(findings: Iterable<Finding>): number {
    let added = 0
    for (const f of findings) {
      if (this.#byId.has(f.id)) continue
      this.#byId.set(f.id, f)
      added++
    }
    return added
  }

  /** Whether a finding with this id was added. */
  has(id: string): boolean {
    return this.#byId.has(id)
  }

  /** Every distinct finding, in arrival order. */
  get findings(): Finding[] {
    return [...this.#byId.values()]
  }
}

/** What a run recorded, at its end. */
export interface RecordedRun {
  /** Every distinct finding of the run. */
  readonly findings: Finding[]
  /** Findings the workers sent that could not be read back. */
  readonly lost: number
  /**
   * Whether loopcop's per-file part said it checked a test file, here or in a worker (`fileChecked`;
   * the Jest environment says so, the other integrations tell in their own ways).
   */
  readonly checked: boolean
}

/**
 * The run the reporting process records (Jest's reporter, Mocha's global set-up): the findings of
 * tests run in this process, and — through a spool folder named in `LOOPCOP_SPOOL_DIR`, which the
 * workers started after it inherit — those of its workers. The spool also holds the run's folder
 * of call sites `warn` mode has printed (warned.ts), so each is printed once a run. Not
 * scope-aware: the detector runs it outside every scope.
 */
export class RunRecording {
  readonly #collector = new RunCollector()
  // A leaked interval's calls, one finding each from the integrations: kept as one a call site.
  readonly #leaks = new LeakGathering()
  #spool: string | undefined
  #checked = false

  constructor() {
    this.#spool = openSpool()
    try {
      openWarned(join(this.#spool, 'warned'))
    } catch {
      // Without it each worker says its own first sighting of a call site.
    }
  }

  /** Adds findings of tests that ran in this process. */
  add(findings: readonly Finding[]): void {
    // A finished test's findings hold no leaked call (those come one at a time): added as they are.
    if (!findings.some(isLeakedCall)) {
      this.#collector.add(findings)
      return
    }
    for (const f of findings) if (!this.#collector.has(f.id) && this.#leaks.take(f)) this.#collector.add([f])
  }

  /** Records that a test file was checked in this process. */
  checked(): void {
    this.#checked = true
  }

  /** Ends the recording: everything recorded and spooled, each finding once; the spool is removed. */
  finish(): RecordedRun {
    let lost = 0
    let checked = this.#checked
    if (this.#spool !== undefined) {
      const spooled = readSpool(this.#spool)
      this.add(spooled.findings)
      lost = spooled.damaged
      checked ||= spooled.checked
      closeWarned(join(this.#spool, 'warned'))
      closeSpool(this.#spool)
      this.#spool = undefined
    }
    const findings = this.#collector.findings
    return { findings: this.#leaks.empty ? findings : findings.map((f) => this.#leaks.gathered(f)), lost, checked }
  }
}

/** How `reportRun` ends a run. */
export interface ReportRunOptions {
  /** Path of the JSON report. */
  readonly json?: string
  /** Print GitHub Actions annotations. @default process.env.GITHUB_ACTIONS === 'true' */
  readonly github?: boolean
  /** Annotation level for every finding; without it, each follows `mode`/`stallMode`. */
  readonly level?: 'error' | 'warning'
  /**
   * The findings to annotate, when the runner annotates some itself (Vitest's `github-actions`
   * reporter annotates every failed test at its error's stack: loopcop's failures included).
   * @default findings
   */
  readonly annotate?: readonly Finding[]
  /** Where the summary and annotations go. @default process.stdout */
  readonly write?: (text: string) => void
  /** The project root that paths are shown relative to. @default projectCwd() */
  readonly cwd?: string
  /**
   * What the baseline's path and keys are relative to: where the test workers, which mark the
   * findings the baseline knows, resolve them (their working directory). @default `cwd`
   */
  readonly baselineCwd?: string
  /** Findings the workers sent that could not be read back (see `readSpool`): said, and counted in the JSON report. */
  readonly lost?: number
  /**
   * The run ran the whole suite — no test name or file filter, no shard — as the integration can
   * tell from its runner's options: only then are baseline entries it did not see listed as fixed
   * (and fail a strict baseline). A string is a partial run and says why (`'--grep'`), printed and
   * in the JSON report. A function is asked only when the run has a baseline.
   * @default false
   */
  readonly complete?: Completeness | (() => Completeness)
  /** The baseline, when the reporting process learnt it from its workers; else the configured one. */
  readonly baseline?: Options['baseline']
  /**
   * Why loopcop checked no test file of the run (every file failed to load, or loopcop's per-file
   * part is not set up), when the integration can tell: the summary says it in place of "no blocking
   * of the event loop found", which would read as a clean bill.
   */
  readonly unchecked?: string
  /**
   * Which part of the run loopcop did not check while it checked the rest (a Vitest project without
   * loopcop's setup file), when the integration can tell: a line of its own under the summary.
   */
  readonly partlyUnchecked?: string
}

/** What `reportRun` did, for the caller (and tests). */
export interface RunReportResult {
  readonly summary: string
  readonly jsonPath?: string
  readonly annotations: readonly string[]
  /** What the baseline made of the run, when there is one (or one was written). */
  readonly baseline?: RatchetOutcome
  /**
   * The JSON report, the GitHub step summary or the baseline file could not be written (a folder
   * in the way, no permission, a full disk), the baseline could not be read, or a strict baseline
   * lists fixed call sites. The integration must make the run fail with it: CI that reads the
   * report would otherwise read an old one, or none, after a green run.
   */
  readonly error?: Error
}

/**
 * A run's findings in an order that is the same from run to run: by test file, and within one file
 * in the order they were found (a stable sort). They arrive in no such order: the workers' spool
 * files are read by name (`<pid>-<thread>.jsonl`, so by the process ids the system gave out), and
 * Vitest's and Jest's workers report files as they finish. Findings of no test come last.
 */
export function inRunOrder(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => {
    const x = a.test?.file
    const y = b.test?.file
    if (x === y) return 0
    if (x === undefined) return 1
    if (y === undefined) return -1
    return x < y ? -1 : 1
  })
}

/** The configured options `reportRun` reads: the modes, for findings recorded without one, and the baseline. */
export type RunModes = Pick<Options, 'mode' | 'stallMode'> & Partial<Pick<Options, 'baseline'>>

function describeError(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause)
}

/**
 * Prints the summary grouped by call site, settles the baseline (known, fixed, written with
 * `LOOPCOP_UPDATE_BASELINE=1`), writes the JSON report when `json` is given, prints GitHub
 * annotations when `github` (default: `GITHUB_ACTIONS === 'true'`) and appends the Markdown summary
 * to `$GITHUB_STEP_SUMMARY` when that is set and annotations are on. `modes` are the configured
 * options, for findings recorded without the mode that judged them.
 */
export function reportRun(found: readonly Finding[], options: ReportRunOptions, modes: RunModes): RunReportResult {
  // One finding a test's leaked call site, where an integration recorded one a call.
  const findings = inRunOrder(gatheredLeaks(found))
  const write = options.write ?? ((text: string) => process.stdout.write(text + '\n'))
  const errors: Error[] = []
  let outcome: RatchetOutcome | undefined
  try {
    // A run loopcop did not check (all of it, or part) saw nothing of what it left out: no entry it
    // did not see is fixed. Taken for complete, one under jest-light-runner updated a baseline to
    // no entries (prettier).
    const complete = options.unchecked !== undefined ? PARTIAL.unchecked : options.partlyUnchecked !== undefined ? PARTIAL.partlyUnchecked : (options.complete ?? false)
    outcome = ratchet(findings, { baseline: baselineOf(options.baseline !== undefined ? options : modes), update: updateBaselineRequested(), complete, cwd: options.baselineCwd ?? options.cwd })
  } catch (error) {
    errors.push(error instanceof Error ? error : new Error(String(error)))
  }
  // After the baseline is settled: a known entry seen at more lines than it records is new blocking.
  const summary = formatSummary(findings, options.cwd, options.json, options.unchecked, outcome?.grown.length ?? 0) + (options.partlyUnchecked !== undefined ? `\nloopcop: ${options.partlyUnchecked}` : '')
  write(summary)
  for (const line of outcome?.lines ?? []) write(line)
  if (outcome?.error !== undefined) errors.push(outcome.error)
  // In the JSON report whenever the baseline was read: a strict one failing the run lists its fixed entries there too.
  const baseline: JsonBaseline | undefined =
    outcome === undefined || outcome.error instanceof BaselineError ? undefined : { path: displayPath(outcome.path, options.cwd), known: outcome.known, complete: outcome.complete, ...(outcome.partial !== undefined && { partial: outcome.partial }), fixed: outcome.fixed, ...(outcome.grown.length > 0 && { grown: outcome.grown }), ...(outcome.shrunk.length > 0 && { shrunk: outcome.shrunk }), written: outcome.written }
  const github = options.github ?? process.env.GITHUB_ACTIONS === 'true'
  const annotations = github ? githubAnnotations(options.annotate === undefined ? findings : inRunOrder(gatheredLeaks(options.annotate)), options.level ?? modes, options.cwd) : []
  for (const a of annotations) write(a)
  const lost = options.lost ?? 0
  if (lost > 0) write(`loopcop: ${lost} finding${lost === 1 ? '' : 's'} sent by test workers could not be read back (a worker stopped mid-write?) and ${lost === 1 ? 'is' : 'are'} missing from this report`)
  let jsonPath: string | undefined
  if (options.json !== undefined) {
    try {
      jsonPath = writeJsonReport(options.json, findings, { cwd: options.cwd, lost, baseline, unchecked: options.unchecked })
      write(`loopcop: JSON report written to ${displayPath(jsonPath, options.cwd)}`)
    } catch (cause) {
      const target = resolve(options.cwd ?? projectCwd(), options.json)
      errors.push(new Error(`loopcop: could not write the JSON report to ${target} (report.json / LOOPCOP_REPORT): ${describeError(cause)}`, { cause }))
    }
  }
  const stepSummary = process.env.GITHUB_STEP_SUMMARY
  if (github && stepSummary !== undefined && stepSummary !== '') {
    try {
      // Without stacks, which it does not show: tens of thousands of findings' frames as text were
      // hundreds of megabytes at once, at the end of the run (bench/README.md, "Fifty-fourth pass").
      appendFileSync(stepSummary, markdownSummary(jsonReport(findings, { cwd: options.cwd, lost, baseline, unchecked: options.unchecked, stacks: false })))
    } catch (cause) {
      errors.push(new Error(`loopcop: could not append the summary to $GITHUB_STEP_SUMMARY (${stepSummary}): ${describeError(cause)}`, { cause }))
    }
  }
  const [first] = errors
  const error = errors.length > 1 ? new Error(errors.map((e) => e.message).join('\n'), { cause: first }) : first
  return { summary, annotations, ...(jsonPath !== undefined && { jsonPath }), ...(outcome !== undefined && { baseline: outcome }), ...(error !== undefined && { error }) }
}
