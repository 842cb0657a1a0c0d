/**
 * `loopcop/jest/reporter`: at the end of the run, the findings of every Jest worker grouped by call
 * site, the JSON report, and GitHub annotations when `GITHUB_ACTIONS=true`.
 *
 * ```js
 * reporters: ['default', ['loopcop/jest/reporter', { json: 'reports/loopcop.json' }]]
 * ```
 * @module
 */
import { type Finding, RunCollector, closeSpool, envOverrides, openSpool, readSpool, reportRun, validateOptions } from '../../src/integration.js'

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

/** The part of a Jest project context the reporter reads: `testEnvironmentOptions.loopcop.report`. */
interface ProjectContext {
  readonly config?: { readonly testEnvironmentOptions?: Record<string, unknown> }
}

/**
 * Jest reporter. Workers (child processes) append their findings to files in a folder this reporter
 * makes before they start and names in `LOOPCOP_SPOOL_DIR`, which they inherit; at the end of the run
 * it reads them all, counting a finding seen twice once (by id).
 */
export default class LoopcopReporter {
  readonly #options: LoopcopReporterOptions
  /** The spool folder of the current run; `undefined` between runs (watch mode). */
  #spool: string | undefined
  /** Why the last run's report failed (Jest fails the run with it). */
  #error: Error | undefined

  constructor(_globalConfig?: unknown, options?: LoopcopReporterOptions) {
    this.#options = validateOptions({ report: options ?? {} }, ['report'], 'the options of loopcop/jest/reporter').report ?? {}
    // A wrong LOOPCOP_* variable stops the run here, before any test, with the variable named.
    envOverrides()
    // Before Jest forks its workers, so that they inherit the folder's name.
    this.#spool = openSpool()
  }

  /** Each run of watch mode gets a fresh folder (Jest forks new workers for it). */
  onRunStart(): void {
    this.#spool ??= openSpool()
  }

  /** Prints the summary, writes the JSON report, prints annotations; then empties the spool. */
  onRunComplete(testContexts?: ReadonlySet<ProjectContext>): void {
    const collector = new RunCollector()
    let lost = 0
    if (this.#spool !== undefined) {
      const spooled = readSpool(this.#spool)
      collector.add(spooled.findings)
      lost = spooled.damaged
      closeSpool(this.#spool)
      this.#spool = undefined
    }
    const fromProject = projectReport(testContexts)
    const json = envOverrides().report?.json ?? this.#options.json ?? fromProject.json
    const github = this.#options.github ?? fromProject.github
    const { error } = reportRun(sorted(collector.findings), {
      ...(json !== undefined && { json }),
      ...(github !== undefined && { github }),
      lost,
      // stdout carries `jest --json`: loopcop writes where Jest's own reporters do.
      write: (text) => process.stderr.write(text + '\n'),
    })
    this.#error = error
    if (error !== undefined) process.stderr.write(`${error.message}\n`)
  }

  /** Jest fails the run with this: a JSON report that could not be written (failing tests fail it themselves). */
  getLastError(): Error | undefined {
    return this.#error
  }
}

/** `testEnvironmentOptions.loopcop.report` of the first project that sets it. */
function projectReport(contexts: ReadonlySet<ProjectContext> | undefined): { json?: string; github?: boolean } {
  for (const ctx of contexts ?? []) {
    const loopcop = ctx.config?.testEnvironmentOptions?.loopcop as { report?: unknown } | undefined
    if (loopcop?.report !== undefined) return validateOptions({ report: loopcop.report }, ['report'], 'testEnvironmentOptions.loopcop').report ?? {}
  }
  return {}
}

/** Findings in a stable order (workers finish in any order): by test file, test name, then site. */
function sorted(findings: readonly Finding[]): Finding[] {
  const key = (f: Finding) => `${f.test?.file ?? ''}\u0000${f.test?.name ?? ''}\u0000${f.location?.file ?? ''}:${String(f.location?.line ?? 0).padStart(8, '0')}`
  return [...findings].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
}
