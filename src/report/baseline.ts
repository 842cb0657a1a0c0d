// The baseline file (docs/architecture.md, "report"; README "Adopting loopcop on an existing
// codebase"): the call sites a team accepted when it turned loopcop on. A finding recorded there is
// known — reported, never failing its test — so only new blocking fails.
//
// An entry is keyed so that it survives edits elsewhere in a file: the operation, the user's call
// site as file + function (never a line), and the package that made the call. A stall is keyed by
// the test it stalled (its file, and `test: <its name>` as the function): where a stall is caught
// is a sample of a long run of code, which moves from run to run; the test does not. The file is
// JSON with one entry per line, sorted by key, so a pull request shows each accepted or removed
// call site as one line; `calls` and `tests` are there for the reader, never compared.
import { existsSync, readFileSync } from 'node:fs'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import { type Finding, type Frame, type Location, type TestRef, testKey } from '../model/finding.js'
import { failsTests } from '../model/mode.js'
import { writeChangedFileAtomically } from '../runtime/files.js'
import { isDependency, isInternal } from '../stack/frames.js'
import { projectCwd } from '../runtime/cwd.js'

/** The file a baseline is written to when `LOOPCOP_UPDATE_BASELINE=1` runs with no `baseline` configured. */
export const DEFAULT_BASELINE_PATH = 'loopcop-baseline.json'

/** What identifies a call site in the baseline. */
export interface BaselineKey {
  /** The operation id (`fs.readFileSync`), or `stall`. */
  readonly operation: string
  /** The user's own file that made the call (a stall's: its test's file), relative to the working directory ('' when unknown). */
  readonly file: string
  /** The function in that file ('' for top-level code or when unknown); a stall's: `test: ` and its test's name. */
  readonly function: string
  /** The package that made the call when it came from `node_modules` ('' when the user's code did). */
  readonly package: string
}

/** One line of the baseline file. */
export interface BaselineEntry extends BaselineKey {
  /** Calls seen when it was recorded (information only). */
  readonly calls: number
  /** Tests they were seen in (information only). */
  readonly tests: number
  /**
   * The lines of the user's file its calls were made from when it was recorded (a blocking call's
   * entry whose file is known; absent in files written before loopcop kept it). An entry is keyed
   * by function, never by line, so that edits elsewhere keep it — which makes a second blocking
   * line in a known function (or in any unnamed one of the file) the same entry: a run that finds
   * the entry at more lines than this has a new call site there (see `ratchet`).
   */
  readonly sites?: number
}

/** An entry as the baseline file has it, with the lines a run saw it at (`sites` compared: see `ratchet`). */
export interface EntryAtLines extends BaselineEntry {
  readonly lines: readonly number[]
}

/** A baseline file as read. */
export interface Baseline {
  /** Its absolute path. */
  readonly path: string
  readonly entries: readonly BaselineEntry[]
  /** The entries' keys (see `keyText`). */
  readonly keys: ReadonlySet<string>
}

/** What a key is read from: a finding of the model (absolute paths) or of a JSON report (relative ones). */
export interface KeySource {
  readonly kind: Finding['kind']
  readonly operation?: string | undefined
  readonly location?: Pick<Location, 'file' | 'line' | 'column' | 'function'> | undefined
  readonly offender?: { readonly package: string } | undefined
  /** The captured frames, to find the function at `location` when the location does not name it. */
  readonly frames?: readonly Frame[] | undefined
  /** The test it happened in: what a stall is keyed by. */
  readonly test?: TestRef | undefined
}

/**
 * A function name as a key: V8 names a function by how it was called (`Object.loadConfig` called as
 * a method of `module.exports`, `Module.loadConfig`, `loadConfig`, `async loadConfig`,
 * `Server.handle [as onRequest]`), so only the function's own name is kept (`new Pool` stays);
 * top-level code (`Object.<anonymous>`) is ''.
 */
export function functionKey(fn: string | undefined, earlier = false): string {
  if (fn === undefined) return ''
  let name = fn.replace(/^async /, '').replace(/ \[as [^\]]*\]$/, '')
  // The receiver's type names before the function's own name (`Object.`, `Module.`, `<anonymous>.`
  // for a receiver V8 cannot name), identifiers each: a name with a dot of its own stays whole
  // (lint-staged's `'*.js': async () => …` task). jscodeshift's `exports.readSelf = () => …` was
  // `<anonymous>.exports.readSelf`; earlier versions (`earlier`) kept that whole.
  if (!name.startsWith('new ')) name = name.replace(earlier ? EARLIER_RECEIVERS : RECEIVERS, '')
  return name === '<anonymous>' ? '' : name
}

const RECEIVERS = /^(?:(?:[A-Za-z_$][\w$]*|<anonymous>)\.)+(?=[^.]*$|[^A-Za-z_$])/
const EARLIER_RECEIVERS = /^(?:[A-Za-z_$][\w$]*\.)+(?=[^.]*$|[^A-Za-z_$])/

/**
 * The user's call site of a finding: its `location` (the user's own frame nearest to the call, as
 * the stack module finds it) as file + function. Every key goes through here, so a better notion
 * of "the user's frame" changes every key the same way. `undefined` for calls with no stack.
 *
 * A call with no frame of the user's on its stack (a dependency's, after an `await` in it) has no
 * file or function: its package says whose it is, where a path into `node_modules`
 * (`.pnpm/pkg-types@2.3.0/…`) would change with every upgrade. An anonymous function (a callback)
 * is '': naming it by the function it runs in would depend on how deep its stack was captured (a
 * dependency's deeper calls push that function out of the frames kept). `earlier`: the site as
 * earlier versions keyed it (see `earlierKeyTexts`).
 */
export function userCallSite(f: KeySource, cwd?: string, earlier = false): { readonly file: string; readonly function: string } | undefined {
  const loc = f.location
  if (loc === undefined) return undefined
  // A JSON report's paths are relative: `node_modules/…` at the start.
  if (!earlier && (isDependency(loc.file) || loc.file.startsWith('node_modules/'))) return { file: '', function: '' }
  const fn = loc.function ?? f.frames?.find((fr) => fr.file === loc.file && fr.line === loc.line && fr.column === loc.column)?.fn
  return { file: cwd === undefined ? loc.file : keyPath(loc.file, cwd), function: functionKey(fn, earlier) }
}

/**
 * A file as a baseline key: relative to `cwd`, climbing out of it with `..` where it must (a
 * monorepo's sibling package), so that a key is the same wherever the repository is checked out.
 * (A shown path stays absolute outside `cwd`; a key did too in earlier versions, and such entries
 * still match: see `legacyKeyText`.)
 */
export function keyPath(file: string, cwd: string): string {
  if (isInternal(file) || !isAbsolute(file)) return file
  const rel = relative(cwd, file)
  return rel === '' ? file : rel.split(sep).join('/')
}

/** The key as entries written before keys climbed out of `cwd` have it (the file absolute), when it differs. */
export function legacyKeyText(k: BaselineKey, cwd: string): string | undefined {
  return k.file.startsWith('../') ? keyText({ ...k, file: resolve(cwd, k.file) }) : undefined
}

/**
 * A finding's baseline key; `cwd` makes the model's absolute paths relative (JSON ones are already).
 * A stall in a test is keyed by the test (see the top of this file); one outside every test (a
 * hook, a module's top level) by where it was caught.
 */
export function baselineKey(f: KeySource, cwd?: string): BaselineKey | undefined {
  if (f.kind === 'stall' && f.test !== undefined) {
    const file = f.test.file ?? ''
    return { operation: 'stall', file: cwd === undefined || file === '' ? file : keyPath(file, cwd), function: `${TEST_PREFIX}${f.test.name}`, package: '' }
  }
  return callSiteKey(f, cwd)
}

/** How a stall's key names its test in `function` (`test: users > imports the catalog`): no function's name has it. */
const TEST_PREFIX = 'test: '

/** The test a stall's key names, or `undefined` for a key of a call site. */
export function testOfKey(k: BaselineKey): string | undefined {
  return k.operation === 'stall' && k.function.startsWith(TEST_PREFIX) ? k.function.slice(TEST_PREFIX.length) : undefined
}

function callSiteKey(f: KeySource, cwd: string | undefined): BaselineKey | undefined {
  const site = userCallSite(f, cwd)
  if (site === undefined) return undefined
  return { operation: f.kind === 'stall' ? 'stall' : (f.operation ?? ''), file: site.file, function: site.function, package: f.offender?.package ?? '' }
}

/**
 * The keys an entry written by an earlier version may have for the same finding: its file absolute
 * (before keys climbed out of `cwd`), a stall in a test keyed by where it was caught (before stalls
 * were keyed by their test), and a dependency's call with no frame of the user's by its path. A
 * finding matching one of them is known, and an update rewrites the entry under `key`.
 */
export function earlierKeyTexts(f: KeySource, key: BaselineKey, cwd: string): string[] {
  const keys = [key]
  if (f.kind === 'stall' && f.test !== undefined) {
    const site = callSiteKey(f, cwd)
    if (site !== undefined) keys.push(site)
  } else {
    // A dependency's call with no frame of the user's, by its path.
    const site = userCallSite(f, cwd, true)
    if (site !== undefined && (site.file !== key.file || site.function !== key.function)) keys.push({ ...key, file: site.file, function: site.function })
  }
  const out: string[] = []
  for (const k of keys) {
    if (k !== key) out.push(keyText(k))
    const legacy = legacyKeyText(k, cwd)
    if (legacy !== undefined) out.push(legacy)
  }
  return out
}

/** A key as one string, for sets and sorting. */
export function keyText(k: BaselineKey): string {
  return `${k.file}\u0000${k.function}\u0000${k.operation}\u0000${k.package}`
}

/** What a baseline entry is built from: a finding that counts (not allowed, not an assertion's) with its key. */
export interface KeyedFinding {
  readonly key: BaselineKey
  /** The keys an earlier version would have written for it (see `earlierKeyTexts`). */
  readonly earlier: readonly string[]
  readonly calls: number
  /** The test it is charged to (`file\0name`), if any. */
  readonly test: string | undefined
  /** The line of the user's file it was made from, for an entry that counts its `sites`. */
  readonly line?: number
  /** Its test fails for a violation (its mode is `fail` or `throw`). */
  readonly fails: boolean
}

/** Baseline entries from findings, one per key, sorted, with their calls, tests and lines (`sites`) counted. */
export function entriesOf(findings: Iterable<KeyedFinding>): BaselineEntry[] {
  const byKey = new Map<string, { key: BaselineKey; calls: number; tests: Set<string>; lines: Set<number> }>()
  for (const f of findings) {
    const text = keyText(f.key)
    let e = byKey.get(text)
    if (e === undefined) byKey.set(text, (e = { key: f.key, calls: 0, tests: new Set(), lines: new Set() }))
    e.calls += f.calls
    if (f.test !== undefined) e.tests.add(f.test)
    if (f.line !== undefined) e.lines.add(f.line)
  }
  return sortEntries([...byKey.values()].map((e) => ({ ...e.key, calls: e.calls, tests: e.tests.size, ...(e.lines.size > 0 && { sites: e.lines.size }) })))
}

/** Per key, the lines of the user's files the findings were made from (for entries that count `sites`). */
export function linesByKey(findings: Iterable<KeyedFinding>): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>()
  for (const f of findings) {
    if (f.line === undefined) continue
    const text = keyText(f.key)
    let lines = out.get(text)
    if (lines === undefined) out.set(text, (lines = new Set()))
    lines.add(f.line)
  }
  return out
}

/**
 * The entries of a baseline written again: `fresh` ones (from this run or these reports), and those
 * of `previous` not among them that a `partial` run keeps (it cannot tell a fixed entry from one
 * whose tests did not run) — a stall's always, unless `gone` says its file is (see `fileGone`):
 * whether a stall happens depends on the machine, so a run without it does not show it fixed. A
 * partial run saw only some of an entry's calls and tests, so an entry it writes again keeps the
 * larger of its counts and the previous ones, and the previous ones while it is within a quarter of
 * them. A complete run writes its own counts, but keeps the
 * previous ones of an entry at as many lines whose counts moved by a quarter or less: counts are
 * for the reader, and ones that vary from run to run (a cache's timing, a retried test) rewrote the
 * file at every update, a diff to review for nothing (dependency-cruiser: 860 calls, then 878).
 */
export function rewrittenEntries(fresh: readonly BaselineEntry[], previous: readonly BaselineEntry[], partial = false, gone: (e: BaselineKey) => boolean = () => false): BaselineEntry[] {
  const before = new Map(previous.map((e) => [keyText(e), e]))
  const counted = (e: BaselineEntry): BaselineEntry => {
    const p = before.get(keyText(e))
    if (p === undefined) return e
    if (!partial) return e.sites === p.sites && near(e.calls, p.calls) && near(e.tests, p.tests) ? { ...e, calls: p.calls, tests: p.tests } : e
    const sites = Math.max(e.sites ?? 0, p.sites ?? 0)
    // The larger, unless within a quarter of the recorded one: a partial update rewrote 299 calls as 300 (nodemailer).
    const kept = (now: number, was: number): number => (near(now, was) ? was : Math.max(now, was))
    return { ...e, calls: kept(e.calls, p.calls), tests: kept(e.tests, p.tests), ...(sites > 0 && { sites }) }
  }
  const written = new Set(fresh.map(keyText))
  return [...fresh.map(counted), ...previous.filter((e) => !written.has(keyText(e)) && (partial || (e.operation === 'stall' && !gone(e))))]
}

/** Whether a count `now` is within a quarter of the one recorded (`was`): the same for a reader. */
const near = (now: number, was: number): boolean => Math.abs(now - was) * 4 <= was

/**
 * A stall's entry whose file (its test's file, relative to `cwd`) is no longer there: the one case in
 * which a run without the stall shows it gone for good. A stall's entry otherwise outlives its test,
 * as nothing here knows which tests a runner ran under which names.
 */
export function fileGone(e: BaselineKey, cwd = projectCwd()): boolean {
  return e.operation === 'stall' && e.file !== '' && !existsSync(resolve(cwd, e.file))
}

/** Entries sorted by file, function, operation, package. */
export function sortEntries(entries: readonly BaselineEntry[]): BaselineEntry[] {
  return [...entries].sort((a, b) => (keyText(a) < keyText(b) ? -1 : keyText(a) > keyText(b) ? 1 : 0))
}

/** The text of a baseline file: JSON, one entry per line. */
export function formatBaseline(entries: readonly BaselineEntry[]): string {
  const line = (e: BaselineEntry): string => JSON.stringify({ file: e.file, function: e.function, operation: e.operation, package: e.package, ...(e.sites !== undefined && { sites: e.sites }), calls: e.calls, tests: e.tests })
  const about = 'loopcop baseline: known blocking call sites (file + function + operation + package); they are reported, never failing. sites: the lines an entry was seen at (more of them in a run is a new call site); calls and tests are for information only. Update: LOOPCOP_UPDATE_BASELINE=1 or npx loopcop baseline'
  const body = entries.length === 0 ? '[]' : `[\n    ${sortEntries(entries).map(line).join(',\n    ')}\n  ]`
  return `{\n  "about": ${JSON.stringify(about)},\n  "version": 1,\n  "entries": ${body}\n}\n`
}

/** A baseline file that cannot be used: never a silent pass. */
export class BaselineError extends Error {
  override readonly name = 'BaselineError'
}

function fail(path: string, reason: string, cause?: unknown): never {
  throw new BaselineError(`loopcop: could not read the baseline file ${path} (baseline / LOOPCOP_BASELINE): ${reason}`, cause === undefined ? undefined : { cause })
}

/** Parses a baseline file's text; throws a `BaselineError` naming the file and what is wrong. */
export function parseBaseline(text: string, path: string): Baseline {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    fail(path, `it is not JSON (${cause instanceof Error ? cause.message : String(cause)})`, cause)
  }
  const doc = value as { version?: unknown; entries?: unknown } | null
  if (typeof doc !== 'object' || doc === null || doc.version !== 1 || !Array.isArray(doc.entries)) fail(path, 'expected `{ "version": 1, "entries": [...] }`')
  const entries: BaselineEntry[] = doc.entries.map((raw: unknown, i: number) => {
    const e = raw as Partial<Record<keyof BaselineEntry, unknown>> | null
    const str = (k: keyof BaselineKey): string => {
      const v = e?.[k]
      if (typeof v !== 'string') fail(path, `entries[${i}].${k} is not a string`)
      return v
    }
    const num = (k: 'calls' | 'tests'): number => (typeof e?.[k] === 'number' ? e[k] : 0)
    const sites = e?.sites
    if (sites !== undefined && !(typeof sites === 'number' && Number.isInteger(sites) && sites >= 1)) fail(path, `entries[${i}].sites is not a whole number from 1 up (the lines the entry was seen at)`)
    return { operation: str('operation'), file: str('file'), function: str('function'), package: str('package'), calls: num('calls'), tests: num('tests'), ...(sites !== undefined && { sites }) }
  })
  return { path, entries, keys: new Set(entries.map(keyText)) }
}

/** Reads a baseline file (relative to `cwd`); throws a `BaselineError` when it cannot be read or parsed. */
export function readBaseline(path: string, cwd = projectCwd()): Baseline {
  const file = resolve(cwd, path)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    fail(file, cause instanceof Error ? cause.message : String(cause), cause)
  }
  return parseBaseline(text, file)
}

/** A baseline file `writeBaseline` wrote, or left as it was. */
export interface WrittenBaseline {
  /** Its absolute path. */
  readonly file: string
  /** False when the file held these entries already and was left untouched. */
  readonly changed: boolean
}

/**
 * Writes a baseline file atomically (relative to `cwd`). A file that holds the same entries already
 * is not written again: under Jest's watch mode a rewrite would start the next run, for ever.
 */
export function writeBaseline(path: string, entries: readonly BaselineEntry[], cwd = projectCwd()): WrittenBaseline {
  const file = resolve(cwd, path)
  return { file, changed: writeChangedFileAtomically(file, formatBaseline(entries)) }
}

/** What the baseline reads of a finding: the model's and the JSON report's findings both have it. */
export type Baselinable = KeySource & Pick<Finding, 'allowed' | 'scope' | 'calls' | 'mode'>

/** Whether a finding is one the baseline can know: not allowed, not an assertion's. */
function judgedByBaseline(f: Baselinable): boolean {
  return !f.allowed && f.scope !== 'assertion'
}

/**
 * Marks the findings the baseline records (`baselined: true`). A finding with no stack of its own
 * (calls past the first of an operation in a test) is known when a stacked finding of the same
 * operation in the same test is, and no stacked one of that operation is new.
 */
export function markKnown(findings: readonly Finding[], baseline: Baseline, cwd = projectCwd()): Finding[] {
  const known = new Set<string>()
  const fresh = new Set<string>()
  const out = findings.map((f): Finding => {
    if (!judgedByBaseline(f)) return f
    const key = baselineKey(f, cwd)
    if (key === undefined) return f
    const op = `${testKey(f.test)}\u0000${f.kind === 'sync-io' ? f.operation : 'stall'}`
    if (baseline.keys.has(keyText(key)) || earlierKeyTexts(f, key, cwd).some((k) => baseline.keys.has(k))) {
      known.add(op)
      return { ...f, baselined: true }
    }
    fresh.add(op)
    return f
  })
  return out.map((f) => {
    if (!judgedByBaseline(f) || f.baselined === true || f.location !== undefined || f.kind !== 'sync-io') return f
    const op = `${testKey(f.test)}\u0000${f.operation}`
    return known.has(op) && !fresh.has(op) ? { ...f, baselined: true } : f
  })
}

/**
 * The keyed findings of a run that a baseline records or would record: the model's findings (paths
 * absolute) or a JSON report's (relative to the run's working directory, absolute outside it).
 */
export function keyedFindings(findings: readonly Baselinable[], cwd = projectCwd()): KeyedFinding[] {
  const out: KeyedFinding[] = []
  for (const f of findings) {
    if (!judgedByBaseline(f)) continue
    const key = baselineKey(f, cwd)
    if (key === undefined) continue
    // Lines are counted where the key names the user's file: a dependency's lines change with its version.
    const line = key.operation !== 'stall' && key.file !== '' ? f.location?.line : undefined
    out.push({ key, earlier: earlierKeyTexts(f, key, cwd), calls: f.calls, test: f.test === undefined ? undefined : testKey(f.test), ...(line !== undefined && { line }), fails: failsTests(f.mode ?? 'fail') })
  }
  return out
}

/** Per process, each baseline file is read once (workers judge their tests against it). */
export class BaselineCache {
  readonly #read = new Map<string, Baseline | BaselineError>()

  /** The baseline at `path`, or the error reading it (remembered too: it is said once). */
  get(path: string, cwd = projectCwd()): Baseline | BaselineError {
    const file = resolve(cwd, path)
    let b = this.#read.get(file)
    if (b === undefined) {
      try {
        b = readBaseline(file)
      } catch (error) {
        b = error instanceof BaselineError ? error : new BaselineError(String(error))
      }
      this.#read.set(file, b)
    }
    return b
  }

  /** Forgets what was read (after the file was written). */
  clear(): void {
    this.#read.clear()
  }
}
