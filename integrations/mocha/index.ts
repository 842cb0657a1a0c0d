/**
 * `loopcop/mocha` — a Mocha root hook plugin: `require: ['loopcop/mocha']` in `.mocharc`, or
 * `mocha --require loopcop/mocha`. Every test is checked; one that blocks the event loop fails
 * with the blocking line and the time. Serial and `--parallel`, Mocha 10, 11 and 12.
 *
 * How: a root `beforeEach` (which runs before every other `beforeEach`) opens the test's scope and
 * wraps the test's function, which fails the test itself — never from a root `afterEach` (that
 * skips every remaining test) nor with `this.test.error()` (that reports it passed and failed).
 * `beforeEach` hooks are part of the test; what an `afterEach` hook blocks on is charged to the
 * test in the run report (Mocha has reported the test by then). The run report (summary by call
 * site, JSON, GitHub annotations) is made by the global teardown in the main process from what
 * every `--parallel` worker spooled, and printed on stderr: Mocha's one reporter slot and stdout
 * stay the user's. Configure with `configure()` in a file `require`d next to this one (every
 * worker loads it too), or with `LOOPCOP_*` variables.
 * @module
 */
import { readFileSync, readlinkSync, realpathSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { createRequire } from 'node:module'
import { type Completeness, PARTIAL, type TestSink, Tries, currentOptions, envOverrides, failedNothing, finishRun, firstPartial, install, loadOrderWarning, loadedBefore, outsideScopes, recordFindings, recordsRun, reportInternalError, reportRun, startRun, lineWriterOf } from '../../src/integration.js'
import { firstInProcess } from '../../src/runner/once.js'
import { type MochaRunnable, type MochaSuite, OWN, beginTest, endCurrent } from './test.js'

/** What `this` is in a root hook: Mocha's context, holding the test about to run. */
interface HookContext {
  readonly currentTest?: MochaRunnable
}


/** Lines to stderr through its `write` as this module found it, before any test could stub it (`lineWriterOf`). */
const writeStderr = lineWriterOf(process.stderr)

/** loopcop's own output goes to stderr, so `--reporter json` keeps stdout parseable. */
function print(text: string): void {
  outsideScopes(() => writeStderr(text))
}

/** The findings of a test's failed tries while Mocha retries it (`retries`), for the run report. */
const tries = new Tries<MochaRunnable>(recordFindings)

/**
 * Where every test's results go: the run recorded in the main process (by the global set-up; a
 * `--parallel` worker's findings reach it through the run's spool), and stderr. A leak — blocking
 * after Mocha reported the test — is in the run report only, as failing nothing.
 */
const sink: TestSink = { record: recordFindings, print, leak: (finding) => recordFindings([failedNothing(finding)]) }

function rootBeforeEach(this: HookContext): void {
  try {
    const test = this.currentTest
    if (test !== undefined && rootSuite === undefined) rootSuite = rootOf(test)
    if (test !== undefined) beginTest(test, sink, tries)
  } catch (error) {
    internalError(error)
  }
}

/** The root suite of this process's run, from its first test (none in `--parallel`'s main process). */
let rootSuite: MochaSuite | undefined

function rootOf(test: MochaRunnable): MochaSuite | undefined {
  let suite = test.parent
  while (suite?.parent !== undefined) suite = suite.parent
  return suite
}

/**
 * Whether every test of this process's run ran through, so that a baseline entry it did not see
 * cannot belong to a test that did not run or stopped before its call (`true`), else why not: `.only`,
 * or a test that did not pass and was not skipped where it is written (a failure, a failing hook
 * that skipped the tests after it, `--bail`, a retried test). In `--parallel`'s main process, where
 * the workers ran the tests, the command line and the runner's failure count decide.
 */
export function ranThrough(root: MochaSuite | undefined = rootSuite): Completeness {
  if (root === undefined) return true
  if (root.hasOnly?.() === true) return '.only'
  const through = (suite: MochaSuite): boolean =>
    (suite.tests ?? []).every((t) => t.pending === true || t.state === 'passed' || t.state === 'pending') && (suite.suites ?? []).every(through)
  return through(root) ? true : 'a test failed, was retried, or did not run'
}

// Mocha runs the root `afterEach` after the suites' own: the test is over. Only bookkeeping here,
// never a throw (a failing root `afterEach` skips every remaining test of the run).
function rootAfterEach(): void {
  try {
    endCurrent()
  } catch (error) {
    internalError(error)
  }
}

// After the root suite's tests (after every file's, or a `--parallel` worker's file's): a retry
// still awaited (a try failed in a hook, which Mocha does not retry) never comes.
function rootAfterAll(): void {
  try {
    endCurrent()
    tries.settle()
  } catch (error) {
    internalError(error)
  }
}

// Throwing from a root hook would skip every remaining test: loopcop's own failures are printed.
function internalError(error: unknown): void {
  reportInternalError(error, 'in the Mocha integration')
}

/** The root hooks Mocha registers from `--require loopcop/mocha`: every test becomes a scope. */
export const mochaHooks: { readonly beforeEach: (this: HookContext) => void; readonly afterEach: () => void; readonly afterAll: () => void } = {
  beforeEach: rootBeforeEach,
  afterEach: rootAfterEach,
  afterAll: rootAfterAll,
}
for (const hook of Object.values(mochaHooks)) Object.defineProperty(hook, OWN, { value: true })

/**
 * Runs once in the main process, before any test and before `--parallel` workers are started:
 * starts recording the run, which the workers started after it send their findings to.
 */
export function mochaGlobalSetup(this: { readonly allowUncaught?: unknown } | undefined): void {
  // One run report per run, even when both builds of loopcop/mocha are registered (they share the detector).
  if (recordsRun()) return
  startRun()
  // A test that calls process.exit() ends the run without the teardown: report what is known.
  process.once('exit', reportOnExit)
  // Under `allow-uncaught` Mocha's handler rethrows every uncaught exception (a failing test's
  // too): the process ends there, without 'exit'. Report what is known before it does.
  if (this?.allowUncaught === true) process.on('uncaughtExceptionMonitor', reportBeforeCrash)
}

function reportOnExit(): void {
  if (!recordsRun()) return
  print('loopcop: the process is exiting before the end of the run (process.exit() in a test?): the run report holds the findings of the tests that ran.')
  // Not a run that ran through.
  mochaGlobalTeardown.call({ exited: true })
}

/** An uncaught exception Mocha rethrows under `allow-uncaught`: the process is about to end. */
function reportBeforeCrash(error: unknown): void {
  // A test skipped from a callback (`this.skip()`) throws Mocha's Pending, which it ignores.
  if ((error as { constructor?: { name?: unknown } } | null)?.constructor?.name === 'Pending' || !recordsRun()) return
  print("loopcop: the process is ending on an uncaught exception (Mocha's allow-uncaught): the run report holds the findings of the tests that ran.")
  mochaGlobalTeardown.call({ exited: true })
}

/** What `this` is in a global teardown: Mocha's runner (serial, or `--parallel`'s, which counts every worker's results). */
interface TeardownContext {
  readonly stats?: { readonly failures?: number }
  /** Called from the `exit` listener: the process is exiting before the end of the run. */
  readonly exited?: true
}

/**
 * Runs once in the main process after every test: prints the run summary, writes the JSON report
 * and annotations. Never throws: Mocha 10 and 11 exit 0 when a global teardown throws, failing
 * tests or not. A report that cannot be written is printed and fails the run through its exit code.
 */
export function mochaGlobalTeardown(this: TeardownContext | undefined): void {
  // Failures anywhere in the run (under --parallel, the workers' too: a file that failed to load, a failing hook, .only).
  const failures = this?.stats?.failures ?? 0
  const stopped = this?.exited === true ? 'the process exited before the end of the run' : failures > 0 ? PARTIAL.failed : true
  try {
    endCurrent()
    tries.settle()
    if (!recordsRun()) return
    const { findings, lost } = finishRun()
    const { report } = currentOptions()
    const { error } = reportRun(findings, { ...(report.json !== undefined && { json: report.json }), ...(report.github !== undefined && { github: report.github }), lost, write: print, complete: () => firstPartial(completeRun, () => stopped, ranThrough) })
    if (error !== undefined) {
      print(error.message)
      failTheRun()
    }
  } catch (error) {
    print(`loopcop: the run report failed (a bug in loopcop; the run is marked failed so that it is not mistaken for a clean one):\n${error instanceof Error ? error.stack : String(error)}`)
    failTheRun()
  } finally {
    finishRun()
    rootSuite = undefined
    process.removeListener('exit', reportOnExit)
    process.removeListener('uncaughtExceptionMonitor', reportBeforeCrash)
  }
}

/** Mocha's own option loader (`lib/cli/options`), as the running Mocha ships it. */
interface MochaOptions {
  loadOptions(argv: readonly string[]): { readonly _?: readonly unknown[]; readonly grep?: unknown; readonly fgrep?: unknown; readonly ignore?: unknown; readonly recursive?: unknown; readonly 'dry-run'?: unknown }
}

/** The command line as Mocha started: a test may change `process.argv` (yargs' tests set `argv[1]`). */
const startArgv = [...process.argv]

/**
 * Whether this run runs the whole suite, so that a baseline entry it did not see is a fixed one
 * (`true`), else why not. A complete run has no file named on the command line (or in
 * `MOCHA_OPTIONS`) but the configured `spec` as the configuration writes it (a file named with no
 * configured `spec` may be one file of many; named from a subfolder, where the spec matches none,
 * it is the only one), no `--grep`/`--fgrep`/`--dry-run`, no `--ignore` or `--no-recursive` (of a
 * configured `recursive`) on the command line (a `--config` or `--package` file is the
 * configuration). Read with the running Mocha's own option loader, from the command line Mocha was started with: a Mocha that started itself again for a
 * Node flag (`--enable-source-maps`) has its first process's options, configuration included, on
 * its own, and `--no-config`; that first command line is read where the system shows it (Linux's
 * /proc), else the run counts as partial, as it does when the options cannot be read.
 */
export function completeRun(argv: readonly string[] = startArgv): Completeness {
  const unread = "Mocha's first command line could not be read"
  let command = argv
  if (/[\\/]lib[\\/]cli[\\/]cli\.js$/.test(argv[1] ?? '')) {
    const first = parentCommand()
    if (first === undefined || !/[\\/]\.?bin[\\/]mocha(\.js)?$/.test(first[1] ?? '')) return unread
    command = first
  }
  const bin = command[1]
  if (bin === undefined) return unread
  try {
    // The options module of the Mocha that runs (next to its bin), else whichever `mocha` resolves.
    const require = createRequire(realpathSync(bin))
    let options: MochaOptions | undefined
    for (const path of ['../lib/cli/options.cjs', '../lib/cli/options.js', 'mocha/lib/cli/options.cjs', 'mocha/lib/cli/options.js']) {
      try {
        options = require(path) as MochaOptions
        break
      } catch {
        // The other Mocha layout.
      }
    }
    if (options === undefined) return "Mocha's options could not be read"
    const args = command.slice(2)
    const all = options.loadOptions(args)
    const set = (v: unknown): boolean => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0)
    if (set(all.grep)) return '--grep'
    if (set(all.fgrep)) return '--fgrep'
    if (all['dry-run'] === true) return '--dry-run'
    // What the configuration files alone say, and what was given on the command line or in MOCHA_OPTIONS.
    const configured = withoutEnvOptions(() => options.loadOptions(configFlags(args)))
    const given = options.loadOptions([...args, '--no-config', '--no-package'])
    if (set(given.ignore)) return '--ignore on the command line'
    // `--no-recursive` there leaves out the subfolders of a configured folder. (`--extension` there
    // adds to the configured extensions, and globs ignore them: it narrows nothing.)
    if (configured.recursive === true && all.recursive !== true) return '--no-recursive on the command line'
    const named = (given._ ?? []).map(String)
    if (named.length === 0) return true
    // Named files that are the configured `spec` itself (as the configuration writes them) add
    // nothing; any other may be the one file run from a folder where the spec matches none.
    const spec = new Set((configured._ ?? []).map(String))
    return named.every((file) => spec.has(file)) || `${PARTIAL.namedFiles}; name the suite in \`spec\``
  } catch {
    return "Mocha's options could not be read"
  }
}

/** The flags of a Mocha command line that choose its configuration (`--config f`, `--no-package`, …). */
function configFlags(args: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string
    if (a === '--no-config' || a === '--no-package' || /^--(config|package)=/.test(a)) out.push(a)
    else if ((a === '--config' || a === '--package') && args[i + 1] !== undefined) out.push(a, args[++i] as string)
  }
  return out
}

/** `load()` with `MOCHA_OPTIONS` unset: what the configuration files alone say (the variable is a command line). */
function withoutEnvOptions<T>(load: () => T): T {
  const saved = process.env.MOCHA_OPTIONS
  if (saved === undefined) return load()
  delete process.env.MOCHA_OPTIONS
  try {
    return load()
  } finally {
    process.env.MOCHA_OPTIONS = saved
  }
}

/** The command line of this process's parent, its script's path absolute, where the system shows it (Linux), else `undefined`. */
function parentCommand(): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${String(process.ppid)}/cmdline`, 'utf8')
    const parts = text.split('\0').filter((part, i, all) => part !== '' || i < all.length - 1)
    if (parts[1] !== undefined && !isAbsolute(parts[1])) parts[1] = resolve(readlinkSync(`/proc/${String(process.ppid)}/cwd`), parts[1])
    return parts
  } catch {
    return undefined
  }
}

/**
 * Makes the process exit non-zero (keeping a higher code: Mocha's is the failure count). Mocha sets
 * the exit code itself once the teardown is over: in an `exit` listener it adds after this one
 * (hence the second listener, added later), or with `--exit` through `process.exit()` (whose
 * `exit` listeners, this first one included, may still change the code).
 */
function failTheRun(): void {
  const atLeastOne = (): void => {
    if (Number(process.exitCode ?? 0) === 0) process.exitCode = 1
  }
  process.on('exit', atLeastOne)
  setImmediate(() => process.on('exit', atLeastOne))
}

// A wrong LOOPCOP_* variable stops the run here, while Mocha loads its `--require` modules, with
// the variable named: before, every test ran unchecked and the run could end green.
try {
  envOverrides()
} catch (error) {
  throw new TypeError(`loopcop/mocha cannot start: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
}

warnAboutLoadOrder()

// Patch before the spec files load: a `const { readFileSync } = require('fs')` taken before the
// patch is never seen. `--require` modules load before the spec files.
install()

/**
 * Says once, in the main process, what was `--require`d before loopcop/mocha and uses fs
 * functions loopcop cannot see (each `--parallel` worker loads the same list).
 */
function warnAboutLoadOrder(): void {
  if (process.env.MOCHA_WORKER_ID !== undefined || !firstInProcess('mocha.loadOrderChecked')) return
  const mocharc = (file: string): boolean => /(^|[\\/])\.mocharc\.[cm]?js$/.test(file)
  const warning = loadOrderWarning(loadedBefore(mocharc), 'loopcop/mocha', "Put 'loopcop/mocha' first in --require (or first in \"require\" of .mocharc).")
  if (warning !== undefined) print(warning)
}
