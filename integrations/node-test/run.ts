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
import { type Finding, type Options, SPOOL_ENV, currentOptions, missingReporterError, nodeFlags, outsideScopes, recordFindings, lineWriterOf } from './core.js'
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
 * Whether this process runs tests: a test process of `node --test` or of node:test's `run()` (as
 * borp uses it: `NODE_TEST_CONTEXT` is set), the one process of `node --test
 * --test-isolation=none`, or a test file run as `node --import loopcop/node-test file.js`. Not the
 * process of `node --test` that starts the test processes: it loads `--require` modules too (never
 * `--import` ones), and registering hooks there would give it a test tree of its own. Nor a process
 * loopcop reached only through `NODE_OPTIONS` (the way to a runner built on `run()`) that no
 * test runner started: the runner's own process, or any script run beside it (see `namedHere`).
 */
export function runsTests(execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NODE_TEST_CONTEXT !== undefined && env.NODE_TEST_CONTEXT !== '') return true
  if (!execArgv.includes('--test')) return namedHere(execArgv)
  const args = nodeFlags(execArgv, env.NODE_OPTIONS ?? '')
  return args.some((arg, i) => /^--(experimental-)?test-isolation=none$/.test(arg) || (/^--(experimental-)?test-isolation$/.test(arg) && args[i + 1] === 'none'))
}

/**
 * Whether loopcop/node-test is named on this process's own command line (`--import
 * loopcop/node-test`, `--require` of it or of its file), not only in the `NODE_OPTIONS` it
 * inherited. There, registering loopcop's root hooks would make node:test's harness in a process
 * that runs no test: node:test would print an empty test report on its stdout at exit (a runner's
 * own output, `node -p`'s) and turn an uncaught error's exit code 1 into 7.
 */
export function namedHere(execArgv: readonly string[] = process.execArgv): boolean {
  return execArgv.some((arg) => /loopcop[\\/]node-test\b|[\\/]integrations[\\/]node-test[\\/]index\.[cm]?js$/.test(arg))
}

/**
 * Set to its own pid by every process that runs tests with loopcop: a process whose parent's pid it
 * holds was started by a test (`spawn(process.execPath, process.execArgv)` inherits
 * `--import loopcop/node-test` and `NODE_TEST_CONTEXT`), not by node:test to run a test file.
 */
export const TEST_PROCESS_ENV = 'LOOPCOP_TEST_PROCESS'

/**
 * Whether this process was started by a test of a process that runs tests with loopcop (see
 * `TEST_PROCESS_ENV`), rather than by node:test to run test files. Marks this process for its own
 * children either way.
 */
export function startedByATest(env: NodeJS.ProcessEnv = process.env, ppid: number = process.ppid, pid: number = process.pid): boolean {
  const byATest = env[TEST_PROCESS_ENV] === String(ppid)
  env[TEST_PROCESS_ENV] = String(pid)
  return byATest
}

/**
 * Whether the main module of a process a test started may run node:test tests: its source names
 * `node:test` (or cannot be read). A CLI under test, started with the test process's options, does
 * not: registering loopcop's root hooks there would make node:test's tree, and node:test would
 * append its report (0 tests) to the CLI's own output when it exits.
 */
export function mainModuleMayTest(file: string | undefined = process.argv[1]): boolean {
  if (file === undefined) return false
  try {
    return readFileSync(file, 'utf8').includes('node:test')
  } catch {
    return true
  }
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
