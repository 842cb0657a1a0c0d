// What the Mocha integration reads from Mocha's command line and configuration, with the running
// Mocha's own option loader: whether a run is the whole suite (for the baseline), and what Mocha
// loads with `--require` before loopcop/mocha (for the load-order warning).
import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import { createRequire } from 'node:module'
import { type Completeness, PARTIAL, projectCwd } from '../../src/integration.js'

/** Mocha's own option loader (`lib/cli/options`), as the running Mocha ships it. */
interface MochaOptions {
  loadOptions(argv: readonly string[]): {
    readonly _?: readonly unknown[]
    readonly grep?: unknown
    readonly fgrep?: unknown
    readonly ignore?: unknown
    readonly recursive?: unknown
    readonly 'dry-run'?: unknown
    readonly watch?: unknown
    readonly parallel?: unknown
    readonly require?: readonly unknown[]
    readonly reporter?: unknown
  }
}

/** The command line as Mocha started: a test may change `process.argv` (yargs' tests set `argv[1]`). */
const startArgv = [...process.argv]

/** What Mocha's option loader returns. */
type LoadedOptions = ReturnType<MochaOptions['loadOptions']>

/**
 * The running Mocha's option loader and its command line's arguments, or why they could not be
 * read. `all()` and `given()` are the options Mocha runs with and those given on the command line
 * or in `MOCHA_OPTIONS`, each read once (the configuration files too) for the load-order warning
 * at the start and the baseline's completeness at the end.
 */
type MochaCommand = { readonly options: MochaOptions; readonly args: readonly string[]; all(): LoadedOptions; given(): LoadedOptions; mocha(): unknown } | { readonly unread: string }

/** Each command line's `MochaCommand`, read once. */
const commands = new WeakMap<readonly string[], MochaCommand>()

/**
 * Mocha's option loader and arguments, from the command line Mocha was started with: a Mocha that
 * started itself again for a Node flag (`--enable-source-maps`) has its first process's options,
 * configuration included, on its own, and `--no-config`; that first command line is read where the
 * system shows it (Linux's /proc).
 */
function mochaCommand(argv: readonly string[]): MochaCommand {
  let command = commands.get(argv)
  if (command === undefined) commands.set(argv, (command = readCommand(argv)))
  return command
}

function readCommand(argv: readonly string[]): MochaCommand {
  const unread = { unread: "Mocha's first command line could not be read" }
  let command = argv
  if (/[\\/]lib[\\/]cli[\\/]cli\.js$/.test(argv[1] ?? '')) {
    const first = parentCommand()
    if (first === undefined) return unread
    command = first
  }
  const bin = command[1]
  if (bin === undefined) return unread
  try {
    // The options module of the Mocha that runs (next to its bin), else whichever `mocha` resolves.
    const require = createRequire(realpathSync(bin))
    for (const path of ['../lib/cli/options.cjs', '../lib/cli/options.js', 'mocha/lib/cli/options.cjs', 'mocha/lib/cli/options.js']) {
      try {
        const options = require(path) as MochaOptions
        const args = command.slice(2)
        let all: LoadedOptions | undefined
        let given: LoadedOptions | undefined
        const mocha = (): unknown => {
          for (const lib of ['../lib/mocha.cjs', '../lib/mocha.js']) {
            try {
              return require(lib)
            } catch {
              // The other Mocha layout.
            }
          }
          return undefined
        }
        return { options, args, all: () => (all ??= options.loadOptions(args)), given: () => (given ??= options.loadOptions([...args, '--no-config', '--no-package'])), mocha }
      } catch {
        // The other Mocha layout.
      }
    }
  } catch {
    // No such bin: below.
  }
  return { unread: "Mocha's options could not be read" }
}

/**
 * Whether this run runs the whole suite, so that a baseline entry it did not see is a fixed one
 * (`true`), else why not. A complete run has no file named on the command line (or in
 * `MOCHA_OPTIONS`) but the configured `spec` as the configuration writes it (a file named with no
 * configured `spec` may be one file of many; named from a subfolder, where the spec matches none,
 * it is the only one), no `--grep`/`--fgrep`/`--dry-run`/`--watch`, no `--ignore` or `--no-recursive` (of a
 * configured `recursive`) on the command line (a `--config` or `--package` file is the
 * configuration). Read as `mochaCommand` reads it; the run counts as partial when the options
 * cannot be read.
 */
export function completeRun(argv: readonly string[] = startArgv): Completeness {
  const command = mochaCommand(argv)
  if ('unread' in command) return command.unread
  const { options, args } = command
  try {
    const all = command.all()
    const set = (v: unknown): boolean => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0)
    if (set(all.grep)) return '--grep'
    if (set(all.fgrep)) return '--fgrep'
    if (all['dry-run'] === true) return '--dry-run'
    // Watch mode's reruns run what changed, and its one report (at Ctrl-C) holds them all.
    if (all.watch === true) return '--watch'
    // What the configuration files alone say, and what was given on the command line or in MOCHA_OPTIONS.
    const configured = withoutEnvOptions(() => options.loadOptions(configFlags(args)))
    const given = command.given()
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

/**
 * Whether this process is known to run tests: a `--parallel` worker, or a run whose options say it
 * is not `--parallel` (whose main process only hands out files). False when the options cannot be
 * read: then nothing is started ahead of the first test.
 */
export function runsTests(argv: readonly string[] = startArgv): boolean {
  if (process.env.MOCHA_WORKER_ID !== undefined) return true
  const command = mochaCommand(argv)
  if ('unread' in command) return false
  try {
    return command.all().parallel !== true
  } catch {
    return false
  }
}

/** Whether this is the main process of a `--parallel` run, as its options say (false when they cannot be read, and in a worker). */
export function handsOutFiles(argv: readonly string[] = startArgv): boolean {
  if (process.env.MOCHA_WORKER_ID !== undefined) return false
  const command = mochaCommand(argv)
  if ('unread' in command) return false
  try {
    return command.all().parallel === true
  } catch {
    return false
  }
}

/**
 * How Mocha watches in this process: `'serial'` (`--watch`: it runs the root suite again after each
 * change, here), `'parallel'` (`--watch --parallel`, the main process: it makes a `Mocha` for each
 * run and hands the files to new workers), or `undefined` (not watching, a `--parallel` worker, or
 * the options cannot be read). Either way its global teardown comes only when watch mode ends.
 */
function watchMode(argv: readonly string[]): 'serial' | 'parallel' | undefined {
  if (process.env.MOCHA_WORKER_ID !== undefined) return undefined
  const command = mochaCommand(argv)
  if ('unread' in command) return undefined
  try {
    const all = command.all()
    return all.watch !== true ? undefined : all.parallel === true ? 'parallel' : 'serial'
  } catch {
    return undefined
  }
}

/** Whether Mocha runs in watch mode in this process without `--parallel` (see `watchMode`). */
export function watchesSerially(argv: readonly string[] = startArgv): boolean {
  return watchMode(argv) === 'serial'
}

/**
 * The `Mocha` class of the running Mocha, when this process is the main process of `--watch
 * --parallel` (see `watchMode`); `undefined` otherwise, or when Mocha's own module cannot be read.
 */
export function parallelWatchMocha(argv: readonly string[] = startArgv): unknown {
  if (watchMode(argv) !== 'parallel') return undefined
  const command = mochaCommand(argv)
  return 'unread' in command ? undefined : command.mocha()
}

/**
 * Mocha's reporters that leave a line open while a test runs: those that write a run's progress on
 * one line (a dot, a bar, a lane a test) and end it only with the run, and `list`, which writes a
 * test's title as it starts and ends that line only as it ends.
 */
const INLINE_REPORTERS = new Set(['dot', 'progress', 'landing', 'nyan', 'list'])

/**
 * Whether the run's reporter leaves a line open while a test runs (`--reporter dot`, Mocha's
 * `progress`, `landing`, `nyan`, `list`): a line of loopcop's printed as a test ends must then begin on a line of its
 * own. False when the options cannot be read (a `--parallel` worker, Mocha's programmatic API).
 */
export function reportsInline(argv: readonly string[] = startArgv, cwd = projectCwd()): boolean {
  const command = mochaCommand(argv)
  if ('unread' in command) return false
  try {
    const reporter = command.all().reporter
    return typeof reporter === 'string' && (INLINE_REPORTERS.has(reporter) || extendsInline(reporter, command.mocha(), cwd))
  } catch {
    return false
  }
}

/** The classes of Mocha's `reporters` that `INLINE_REPORTERS` names. */
const INLINE_CLASSES = ['Dot', 'Progress', 'Landing', 'Nyan', 'List']

/**
 * Whether a reporter of the user's (a path or a package, as `--reporter` names it) extends one of
 * Mocha's reporters that leave a line open (a `class DotSub extends reporters.Dot`: sinon's trial,
 * where loopcop's lines ran on after the dots). Read from the module cache, where Mocha has loaded
 * it by the time a run starts: nothing is loaded here.
 */
function extendsInline(reporter: string, mocha: unknown, cwd: string): boolean {
  const reporters = (mocha as { reporters?: Record<string, unknown> } | undefined)?.reporters
  if (reporters === undefined) return false
  const inline = INLINE_CLASSES.map((name) => reporters[name]).filter((c): c is Function => typeof c === 'function')
  const require = createRequire(resolve(cwd, 'package.json'))
  for (const candidate of [reporter, resolve(cwd, reporter)]) {
    let loaded: unknown
    try {
      loaded = require.cache[require.resolve(candidate)]?.exports
    } catch {
      continue
    }
    const made = typeof loaded === 'function' ? loaded : (loaded as { default?: unknown } | undefined)?.default
    if (typeof made !== 'function') continue
    for (let proto: unknown = made.prototype; proto !== null && proto !== undefined; proto = Object.getPrototypeOf(proto)) {
      if (inline.some((c) => c.prototype === proto)) return true
    }
    return false
  }
  return false
}

/** The user's own files Mocha `--require`s before loopcop/mocha, and where the fix goes. */
export interface RequiredBefore {
  /** Those files, relative to the project (ES modules too, which the module cache does not show). */
  readonly files: readonly string[]
  /**
   * Where loopcop/mocha is `require`d: `'configuration'` when only the configuration names it
   * while one of `files` comes from the command line (or `MOCHA_OPTIONS`), whose `--require`s Mocha
   * loads first — putting loopcop first in the configuration cannot help; else `'anywhere'`.
   */
  readonly loopcopIn: 'configuration' | 'anywhere'
}

/**
 * What Mocha `--require`s before loopcop/mocha, in the order it loads them (the command line's,
 * then `MOCHA_OPTIONS`', then the configuration's): the user's own files among them (a package
 * such as `ts-node/register` is left to the module cache's check of fs copies). `undefined` when
 * the options cannot be read or loopcop/mocha is not among them (loaded some other way).
 */
export function requiredBefore(argv: readonly string[] = startArgv, cwd = projectCwd()): RequiredBefore | undefined {
  const command = mochaCommand(argv)
  if ('unread' in command) return undefined
  try {
    const requires = (command.all().require ?? []).map(String)
    const at = requires.findIndex((entry) => isLoopcopMocha(entry, cwd))
    if (at < 0) return undefined
    const files = requires.slice(0, at).flatMap((entry) => {
      const file = ownFile(entry, cwd)
      return file === undefined ? [] : [relative(cwd, file).split(sep).join('/')]
    })
    // Where the fix goes matters only when there is one to give: the command line's options alone
    // are read (~1 ms) only then (a run with a baseline reads them at its end anyway).
    if (files.length === 0) return { files, loopcopIn: 'anywhere' }
    const given = (command.given().require ?? []).map(String)
    const givenAt = given.findIndex((entry) => isLoopcopMocha(entry, cwd))
    const beforeInGiven = givenAt < 0 ? given : given.slice(0, givenAt)
    const fromCommandLine = requires.slice(0, at).some((entry) => beforeInGiven.includes(entry) && ownFile(entry, cwd) !== undefined)
    return { files, loopcopIn: givenAt < 0 && fromCommandLine ? 'configuration' : 'anywhere' }
  } catch {
    return undefined
  }
}

/** Whether a `--require` entry is loopcop/mocha (the package's entry, or a path to its built file). */
function isLoopcopMocha(entry: string, cwd: string): boolean {
  if (/^loopcop\/mocha(\/index(\.[cm]?js)?)?$/.test(entry)) return true
  try {
    return /[\\/]integrations[\\/]mocha[\\/]index\.[cm]?js$/.test(createRequire(resolve(cwd, 'package.json')).resolve(entry))
  } catch {
    return false
  }
}

/**
 * The user's own file a `--require` entry names, else `undefined`: as Mocha tells a file from a
 * package (a path that exists as given or with `.js`, from the working directory), outside
 * `node_modules`.
 */
function ownFile(entry: string, cwd: string): string | undefined {
  for (const candidate of [entry, `${entry}.js`]) {
    const file = resolve(cwd, candidate)
    if (existsSync(file)) return file.includes(`${sep}node_modules${sep}`) ? undefined : file
  }
  return undefined
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

/** Mocha's bin, as a command line names it (`node_modules/.bin/mocha`, `node_modules/mocha/bin/mocha.js`). */
const MOCHA_BIN = /[\\/]\.?bin[\\/]mocha(\.[cm]?js)?$/

/**
 * The command line of this process's parent when it ran Mocha's bin, where the system shows it
 * (Linux), as `[node, bin, ...Mocha's arguments]` with the bin's path absolute; else `undefined`.
 * Node's own flags may come before the bin (`node --enable-source-maps node_modules/mocha/bin/mocha.js`,
 * tsx's `--require …/preflight.cjs --import …/loader.mjs`): the bin is the first argument that names it.
 */
function parentCommand(): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${String(process.ppid)}/cmdline`, 'utf8')
    const parts = text.split('\0').filter((part, i, all) => part !== '' || i < all.length - 1)
    const at = parts.findIndex((part, i) => i > 0 && !part.startsWith('-') && MOCHA_BIN.test(part))
    if (at < 0) return undefined
    const bin = parts[at] as string
    return [parts[0] as string, isAbsolute(bin) ? bin : resolve(readlinkSync(`/proc/${String(process.ppid)}/cwd`), bin), ...parts.slice(at + 1)]
  } catch {
    return undefined
  }
}
