/**
 * `loopcop/node-test/reporter`: the run report of a `node --test` run — the blocking calls of every
 * test process grouped by call site (calls, time blocked, tests), the JSON report when
 * `LOOPCOP_REPORT` or `configure({ report: { json } })` asks for one, GitHub annotations when
 * `GITHUB_ACTIONS=true`. A node:test reporter to add next to your own, each with its destination:
 * @example node --test --import loopcop/node-test --test-reporter=spec --test-reporter-destination=stdout --test-reporter=loopcop/node-test/reporter --test-reporter-destination=stderr
 *
 * Loading it starts the run's recording, which the test processes send their findings to (see
 * `run.ts`); the report is made once the last test has been reported. Under `--watch`, whose
 * stream of events never ends (not even at Ctrl-C), each run is reported when node:test says no
 * test is left to run, and the next one recorded afresh. A report that cannot be written is
 * printed and makes the run exit non-zero.
 * @module
 */
import { writeSync } from 'node:fs'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import { type Completeness, PARTIAL, SPOOL_ENV, checkEnvironment, currentOptions, firstPartial, finishRun, givenFlags, loaderLinesNote, nodeFlags, outsideScopes, reportRun, startRun } from './core.js'
import { RUN_ENV, readProcessRecords } from './run.js'

/** One event of node:test's reporter stream (the part read here). */
interface TestEvent {
  readonly type: string
  readonly data?: {
    /** A `todo` test's failure is expected: node:test does not fail the run over it. */
    readonly todo?: unknown
    readonly name?: unknown
    readonly nesting?: unknown
    /** The test file's absolute path. */
    readonly file?: unknown
  }
}

/**
 * The test file a test's end (`test:pass`, `test:fail`) belongs to, and whether that test is the
 * whole file (`asATest`): node:test ran a file in which it ran no test of its own as one test,
 * named by its path (absolute on Node 20, relative to the working directory after) — a file whose
 * tests another framework runs (tape's, which print TAP), or one that stopped before its first
 * test. `undefined` for other events.
 */
function fileSeen(event: TestEvent, cwd: string = process.cwd()): { readonly file: string; readonly asATest: boolean } | undefined {
  const data = event.data
  if ((event.type !== 'test:pass' && event.type !== 'test:fail') || data === undefined || typeof data.file !== 'string') return undefined
  const asATest = data.nesting === 0 && typeof data.name === 'string' && isAbsolute(data.file) && resolve(cwd, data.name) === data.file
  return { file: data.file, asATest }
}

/** The test files node:test ran as one test each: those that printed (`unchecked`) and those that did not (`empty`); see `FilesRun.unchecked`. */
interface FilesAsTests {
  readonly unchecked: readonly string[]
  readonly empty: readonly string[]
}

/** The test files of a run that node:test ran as one test each and that ran no test of node:test's (see `fileSeen`). */
class FilesRun {
  readonly #withTests = new Set<string>()
  readonly #asTests = new Set<string>()
  /** Files whose process wrote on stdout (`test:stdout`: absolute on Node 20, relative after), resolved. */
  readonly #printed = new Set<string>()

  /** Takes in what `event` says. */
  see(event: TestEvent, cwd: string = process.cwd()): void {
    const file = event.data?.file
    if (event.type === 'test:stdout' && typeof file === 'string') this.#printed.add(resolve(cwd, file))
    const seen = fileSeen(event, cwd)
    if (seen !== undefined) (seen.asATest ? this.#asTests : this.#withTests).add(seen.file)
  }

  /**
   * The files run as one test each, in the order they ended; none that also ran a test of
   * node:test's (a file whose process failed after its tests). `unchecked`: those that printed,
   * as another framework's tests do (tape's TAP, a script's `ok - …`): tests loopcop did not
   * check. `empty`: those that printed nothing, modules that hold no test (release-it's
   * `test/util/*.js`, which node:test's default pattern runs): nothing in them to check, so they
   * leave the run complete, as a test written `.skip` does.
   */
  unchecked(): FilesAsTests {
    const files = [...this.#asTests].filter((file) => !this.#withTests.has(file))
    return { unchecked: files.filter((file) => this.#printed.has(file)), empty: files.filter((file) => !this.#printed.has(file)) }
  }
}

/** Up to three files, relative to `cwd`, and how many more. */
function someFiles(files: readonly string[], cwd: string): string {
  const shown = files.slice(0, 3).map((file) => relative(cwd, file).split(sep).join('/'))
  return `${shown.join(', ')}${files.length > 3 ? `, and ${files.length - 3} more` : ''}`
}

/** The run summary's line for test files node:test ran as one test each that printed (see `FilesRun`), when other files were checked. */
function filesUncheckedReason(files: readonly string[], cwd: string = process.cwd()): string {
  return (
    `${files.length === 1 ? '1 test file' : `${files.length} test files`} ran no test of node:test's, so loopcop checked nothing in ${files.length === 1 ? 'it' : 'them'}: ${someFiles(files, cwd)}. ` +
    "node:test ran each as one test: its tests are another framework's (tape, for one), it holds no test (a helper module in a folder node:test's default pattern runs, as nodemailer's test servers are), or it stopped before its first test"
  )
}

/** The line for test files node:test ran as one test each that printed nothing: modules with no test in them (see `FilesRun`). */
function emptyFilesNote(files: readonly string[], cwd: string = process.cwd()): string {
  return `loopcop: ${files.length === 1 ? '1 test file holds' : `${files.length} test files hold`} no test: ${someFiles(files, cwd)} (node:test ran each as one test, which printed nothing: a helper module in a folder node:test's default pattern runs); nothing in ${files.length === 1 ? 'it' : 'them'} to check`
}

// A wrong LOOPCOP_* variable stops the run here, before any test process starts, with the variable named.
checkEnvironment('loopcop/node-test/reporter')

/**
 * Starts recording a run; returns its spool. node:test imports its reporters before it starts a
 * test process, and under `--watch` starts new ones for each run: they inherit the spool.
 */
function startRecording(): string | undefined {
  startRun()
  const dir = process.env[SPOOL_ENV]
  if (dir !== undefined) process.env[RUN_ENV] = dir
  return dir
}

/** The spool of the run being recorded. */
let spool = startRecording()

/**
 * Why a run not started by `node --test` is partial: a program on node:test's `run()` (borp) or a
 * script of tests chose the files, which loopcop cannot hold against the suite. Said as that, not
 * as files named on the command line: borp's command line names none (@fastify/static's trial).
 */
export const NOT_NODE_TEST = "the test files were chosen by a script or a program on node:test's run() (borp, say), not by `node --test` with no file named"

/**
 * Whether this `node --test` run runs the whole suite, so that a baseline entry it did not see is a
 * fixed one (`true`), else why not: a run not started by `node --test` (`NOT_NODE_TEST`), a test
 * file or glob named on the command line, `--test-name-pattern`, `--test-skip-pattern`,
 * `--test-only`, `--test-shard`, or `--watch` (whose reruns run the files a change touched).
 */
export function completeRun(argv: readonly string[] = process.argv, execArgv: readonly string[] = process.execArgv): Completeness {
  if (!execArgv.includes('--test')) return NOT_NODE_TEST
  if (argv.length > 1) return PARTIAL.namedFiles
  const args = nodeFlags(execArgv)
  const option = args.map((a) => /^--(?:experimental-)?(test-(?:name-pattern|skip-pattern|only|shard)|watch)\b/.exec(a)?.[1]).find((name) => name !== undefined)
  return option === undefined ? true : `--${option}`
}

/**
 * Whether the command line that runs the reporter (or NODE_OPTIONS) imports loopcop/node-test: then
 * the test processes node:test starts import it too, and a run they sent nothing from failed
 * before loopcop loaded, not for want of it.
 */
export function importsLoopcop(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  // Not `namedHere` (src/runner/node-test-process.ts): this process's command line names loopcop/node-test/reporter too.
  return givenFlags(nodeFlags(execArgv, nodeOptions), ['--import']).some(({ value }) => /(?:^|\/)loopcop\/node-test(?:\/index\.js)?$/.test(value))
}

/**
 * What a run in which node:test ran no test says in place of "no blocking … found" (chokidar's
 * suite, run as a script with `--import loopcop/node-test`: its tests are another framework's, and
 * loopcop checked none of them).
 */
const NO_TESTS =
  "no test was checked: node:test ran no test in this run. loopcop/node-test checks node:test's tests (`node --test`, or a script of node:test tests run with `node`); a script whose tests another framework runs is not checked, nor is a run whose --test files hold no test"

/**
 * The run report, from what the test processes sent. `ranThrough`: no test failed (one may have
 * stopped before a blocking call; a test file that fails to load is a failed test too), without
 * which a baseline entry not seen may belong to a test that did not get to it.
 */
function runReport(testsRun: number, ranThrough: boolean, filesAsTests: FilesAsTests, cut = false): { readonly text: string; readonly failed: boolean } {
  const lines: string[] = []
  const write = (text: string): void => void lines.push(text)
  const records = spool === undefined ? [] : readProcessRecords(spool)
  const { findings, lost } = finishRun()
  // A failed run may have no test process that got as far as loopcop: its test files failed to load
  // or were not found (`node --test test/` on Node 20 takes the folder for a file), --import or not.
  const notLoaded = ranThrough ? '' : '. Where tests failed, a test file that failed to load, or a path node --test could not find, sends nothing either'
  const unchecked = records.length > 0 ? undefined : testsRun === 0 ? NO_TESTS : importsLoopcop() ? `no test was checked: \`--import loopcop/node-test\` is given (on the command line or in NODE_OPTIONS), yet no test process sent the reporter anything: a module imported beside it that failed to load (every test file then fails before its first test: see the errors above), a test file that failed to load, a path node --test could not find, or test files whose tests another framework runs (tape: node:test runs each such file as one test, in which loopcop sees no test of node:test's)` : `no test was checked: add \`--import loopcop/node-test\` to the node command line that runs the tests (\`node --test …\`, or \`node … test/index.js\` for a suite run as a script; through NODE_OPTIONS it loads only in the processes node:test starts for test files); the reporter only reports what the test processes send${notLoaded}`
  for (const notice of new Set(records.flatMap((r) => r.notices))) write(notice)
  // LOOPCOP_REPORT and a configure() in this process win; else what the test processes were told
  // (a configure() in a module they import never runs here).
  const main = currentOptions().report
  const json = main.json ?? records.find((r) => r.report.json !== undefined)?.report.json
  const github = main.github ?? records.find((r) => r.report.github !== undefined)?.report.github
  const baseline = currentOptions().baseline ?? records.find((r) => r.baseline !== undefined)?.baseline
  // Some test files checked, others not: tape's beside node:test's (pino's, under borp).
  const partlyUnchecked = unchecked === undefined && filesAsTests.unchecked.length > 0 ? filesUncheckedReason(filesAsTests.unchecked) : undefined
  const { error } = reportRun(findings, { ...(unchecked !== undefined && { unchecked }), ...(partlyUnchecked !== undefined && { partlyUnchecked }), ...(json !== undefined && { json }), ...(github !== undefined && { github }), ...(baseline !== undefined && { baseline }), lost, write, complete: () => firstPartial(() => (cut ? CUT : true), () => completeRun(), () => ranThrough || PARTIAL.failed) })
  if (unchecked === undefined && filesAsTests.empty.length > 0) write(emptyFilesNote(filesAsTests.empty))
  // A loader given to node --test (`--loader ts-node/esm`) compiles the test processes' TypeScript.
  const note = loaderLinesNote(findings)
  if (note !== undefined) write(note)
  if (error !== undefined) write(error.message)
  return { text: `${lines.join('\n')}\n`, failed: error !== undefined }
}

/** The report of the run recorded so far, as text to print (a report that could not be written makes the run exit non-zero). */
function reportNow(testsRun: number, ranThrough: boolean, filesAsTests: FilesAsTests, cut = false): string {
  const { text, failed } = outsideScopes(() => runReport(testsRun, ranThrough, filesAsTests, cut))
  // node:test sets a failing exit code itself, and never back to 0.
  if (failed) process.exitCode = 1
  return text
}

/** Why a run reported as its process exits is partial: the reporter had not read the run's end. */
const CUT = "the process ended before node:test's reporters read the end of the run, as --test-force-exit does on Node 20"

/** What the reporter has read of the run so far (see `reportAtExit`). */
const progress = { testsRun: 0, testsFailed: 0, files: new FilesRun(), reported: false, ended: false }

/**
 * The run's report when the process exits before the reporter read the end of the run: Node 20's
 * `--test-force-exit` exits as the last test ends, and node:test's reporters never finish (zx's
 * suite: no summary, no JSON report, no baseline, and exit code 0). The test processes' findings
 * are all in the spool by then; what the reporter read of the test events may not be, so the run
 * is partial. Written to stderr, where the reporter's destination can no longer be reached.
 */
function reportAtExit(): void {
  if (progress.ended || progress.reported || watching()) return
  progress.ended = true
  try {
    const text = `loopcop: ${CUT}: loopcop's report follows, on stderr\n${reportNow(progress.testsRun, progress.testsFailed === 0, progress.files.unchecked(), true)}`
    writeSync(2, text)
  } catch (error) {
    writeSync(2, `loopcop: ${CUT}, and loopcop's report could not be made: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  }
}

/** `--watch`: its runs are reported as each ends; Ctrl-C ends the last, reported or not. */
function watching(): boolean {
  return nodeFlags(process.execArgv).some((a) => /^--watch\b/.test(a))
}

/**
 * The node:test reporter: shows no test itself; prints loopcop's run report at the end of the run,
 * and under `--watch` at the end of each run (node:test's `test:watch:drained`).
 */
export default async function* loopcopReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string, void> {
  // Once node:test reads the reporter: a module that imports this one and runs no tests reports nothing.
  if (process.listeners('exit').includes(reportAtExit)) process.off('exit', reportAtExit)
  process.once('exit', reportAtExit)
  for await (const event of source) {
    if (event.type === 'test:pass' || event.type === 'test:fail') {
      progress.testsRun++
      progress.reported = false
    }
    if (event.type === 'test:fail' && (event.data?.todo === undefined || event.data.todo === false)) progress.testsFailed++
    progress.files.see(event)
    if (event.type === 'test:watch:drained' && !progress.reported) {
      yield reportNow(progress.testsRun, progress.testsFailed === 0, progress.files.unchecked())
      progress.testsRun = 0
      progress.testsFailed = 0
      progress.files = new FilesRun()
      progress.reported = true
      spool = startRecording()
    }
  }
  if (progress.reported || progress.ended) return
  progress.ended = true
  yield reportNow(progress.testsRun, progress.testsFailed === 0, progress.files.unchecked())
}
