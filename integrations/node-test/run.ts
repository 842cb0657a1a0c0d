/**
 * How the findings of a `node --test` run reach its run report. node:test runs each test file in a
 * child process of its own (`--test-isolation=process`, the default) and evaluates `--import` and
 * `--require` modules only there, never in the process that runs the reporters: a run report can
 * only be made by a reporter, `--test-reporter=loopcop/node-test/reporter`. node:test sets up its
 * reporters before it starts any test process, so the reporter opens a spool folder and names it
 * in the environment every test process inherits; each test process appends its findings to a
 * file of its own there, one line per finding, as each test ends, and the reporter reads them when
 * the run is over. With `--test-isolation=none` (and `node --import loopcop/node-test file.js`,
 * without `--test`) the tests and the reporter share one process and the same spool.
 * @module
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { threadId } from 'node:worker_threads'
import { type Finding, type Options, SPOOL_ENV, currentOptions, missingReporterError, outsideScopes, recordFindings, lineWriterOf } from './core.js'
import type { Sink } from './test.js'
/**
 * Set by loopcop's node:test reporter to the spool it opened. A `LOOPCOP_SPOOL_DIR` without it was
 * inherited from another loopcop run (a `node --test` started inside a Mocha test): not this run's.
 */
export const RUN_ENV = 'LOOPCOP_NODE_TEST_SPOOL'

const RECORD_SUFFIX = '.node-test.json'

/** The spool of this run's loopcop reporter, or `undefined` when the run has none. */
export function reporterSpool(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env[RUN_ENV]
  return dir !== undefined && dir !== '' && env[SPOOL_ENV] === dir ? dir : undefined
}

/**
 * Whether node:test's test tree does not exist yet although this process will run the tests:
 * `node --test --test-isolation=none` on Node 22 loads `--require` modules (not `--import` ones)
 * before it makes its tree, and a hook registered then would make a second tree, with reporters of
 * its own, that no test runs in (Node 24 loads them after). Node 22 makes its tree synchronously
 * once preloading is done: registering on the next tick finds it.
 */
export function treeComesLater(execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env, version: string = process.versions.node): boolean {
  return execArgv.includes('--test') && (env.NODE_TEST_CONTEXT === undefined || env.NODE_TEST_CONTEXT === '') && Number.parseInt(version, 10) < 24 && preloading()
}

/** Whether this code runs while Node loads its `--require` modules (Node's `loadPreloadModules` is on the stack). */
function preloading(): boolean {
  const limit = Error.stackTraceLimit
  const holder: { stack?: string } = {}
  try {
    Error.stackTraceLimit = 100
    Error.captureStackTrace(holder)
  } finally {
    Error.stackTraceLimit = limit
  }
  return /\bloadPreloadModules\b/.test(holder.stack ?? '')
}

/** What a test process tells the reporter, once, as its first test begins. */
export interface ProcessRecord {
  readonly pid: number
  /** Its `report` options: a `configure()` in a test process's setup module never runs in the reporter's process. */
  readonly report: Options['report']
  /** Its `baseline` option, for the same reason. */
  readonly baseline?: Options['baseline']
  /** What is to be said once for the whole run (what loaded before loopcop). */
  readonly notices: readonly string[]
}

/** Writes this process's record into the spool. */
export function writeProcessRecord(dir: string, record: ProcessRecord): void {
  outsideScopes(() => {
    writeFileSync(join(dir, `${String(process.pid)}-${String(threadId)}${RECORD_SUFFIX}`), JSON.stringify(record))
  })
}

/** The records of every test process of the run (unreadable ones skipped: they only carry options and notices). */
export function readProcessRecords(dir: string): ProcessRecord[] {
  return outsideScopes(() => {
    let files: string[]
    try {
      files = readdirSync(dir).filter((f) => f.endsWith(RECORD_SUFFIX)).sort()
    } catch {
      return []
    }
    const records: ProcessRecord[] = []
    for (const file of files) {
      try {
        records.push(JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProcessRecord)
      } catch {
        // Cut short: the process died while writing it.
      }
    }
    return records
  })
}

/** How to load loopcop's reporter in a `node --test` run (what the error of a run without it says). */
const ADD_REPORTER = 'Add it next to your own reporter: `--test-reporter=spec --test-reporter-destination=stdout --test-reporter=loopcop/node-test/reporter --test-reporter-destination=stderr` (under borp: `-r spec -r loopcop/node-test/reporter:loopcop.txt`).'

/** Lines to stderr through its `write` as this module found it, before any test could stub it (`lineWriterOf`). */
const writeStderr = lineWriterOf(process.stderr)

/** A test process's sink: findings to the reporter's spool, late messages to stderr. */
export class ProcessSink implements Sink {
  readonly #notices: readonly string[]
  #begun = false
  #error: Error | undefined

  constructor(notices: readonly string[]) {
    this.#notices = notices
  }

  /**
   * The first test of the process writes its record for the reporter (the configuration is
   * complete by then: every `--import` module has run), or says the notices itself when the run
   * has no reporter. A JSON report (`LOOPCOP_REPORT`, `configure()`) or a baseline to write (`LOOPCOP_UPDATE_BASELINE=1`) asked for without the reporter fails every test.
   */
  beginning(): void {
    if (!this.#begun) {
      this.#begun = true
      const dir = reporterSpool()
      const { report, baseline } = currentOptions()
      if (dir !== undefined) writeProcessRecord(dir, { pid: process.pid, report, ...(baseline !== undefined && { baseline }), notices: this.#notices })
      else {
        for (const notice of this.#notices) this.late(notice)
        this.#error = missingReporterError({ report }, 'loopcop/node-test', ADD_REPORTER)
      }
    }
    if (this.#error !== undefined) throw this.#error
  }

  record(findings: readonly Finding[]): void {
    if (reporterSpool() !== undefined) recordFindings(findings)
  }

  late(text: string): void {
    outsideScopes(() => writeStderr(text))
  }
}
