// The baseline at the end of a run (README "Adopting loopcop on an existing codebase"): what was
// known, what the baseline lists that no longer blocks (only a complete run can tell), and the file
// written from the run when `LOOPCOP_UPDATE_BASELINE=1`. Runs in the reporting process, on the
// findings of every worker, once.
import type { Completeness } from '../model/completeness.js'
import { type Finding, isKnown, isUnjudged } from '../model/finding.js'
import { type Baseline, BaselineError, type BaselineEntry, type BaselineKey, DEFAULT_BASELINE_PATH, type EntryAtLines, entriesOf, fileGone, keyText, keyedFindings, linesByKey, readBaseline, rewrittenEntries, testOfKey, type WrittenBaseline, writeBaseline } from './baseline.js'
import { displayPath } from '../stack/frames.js'
import { plural } from './messages.js'

/** How a run ends with its baseline. */
export interface RatchetOptions {
  /** The configured baseline, if any. */
  readonly baseline: { readonly path: string; readonly strict: boolean } | undefined
  /** `LOOPCOP_UPDATE_BASELINE=1`: write the file from this run. */
  readonly update: boolean
  /**
   * The run ran every test of the suite (no name filter, no file filter, no shard), and ran it
   * through (no failed test, no file that failed to load, no interruption): only then is an entry
   * not seen a fixed one. A partial run keeps the entries it did not see. A function is asked only
   * when the run has a baseline (reading a runner's options can take milliseconds).
   */
  readonly complete: Completeness | (() => Completeness)
  readonly cwd?: string | undefined
}

/** What the baseline made of a run. */
export interface RatchetOutcome {
  /** The baseline file (absolute). */
  readonly path: string
  /** Judged findings the baseline knew, as the summaries count them (`isKnown`). */
  readonly known: number
  /** Entries no finding of this (complete) run matched: fixed, to remove from the file. */
  readonly fixed: readonly BaselineEntry[]
  /** Entries this run saw at more lines than they record (`sites`): a new call site among them. */
  readonly grown: readonly EntryAtLines[]
  /**
   * Entries this complete run saw at fewer lines than they record: a call site of theirs is fixed,
   * and the file should say so, or a new line could later take its place unnoticed.
   */
  readonly shrunk: readonly EntryAtLines[]
  readonly complete: boolean
  /** Why the run was partial, when the integration could tell. */
  readonly partial?: string
  /** The file was written from this run. */
  readonly written: boolean
  /** What to print. */
  readonly lines: readonly string[]
  /** The run must fail with this: an unreadable baseline, or fixed entries under `strict`. */
  readonly error?: Error
}

/** One entry as the summary shows it. */
export function describeEntry(e: BaselineEntry): string {
  const file = e.file === '' ? 'no file' : e.file
  const test = testOfKey(e)
  if (test !== undefined) return `event loop stall in the test "${test}" (${file})`
  if (e.file === '' && e.package !== '') return `${e.operation === 'stall' ? 'event loop stall' : e.operation} by ${e.package} (no code of yours on the stack)`
  // '' is code outside a named function: a callback, an arrow function, a module's top level.
  const where = `${e.function === '' ? 'an unnamed function or top-level code' : e.function} (${file})`
  return `${e.operation === 'stall' ? 'event loop stall' : e.operation} in ${where}${e.package === '' ? '' : ` via ${e.package}`}`
}

function missing(error: BaselineError): boolean {
  return (error.cause as { code?: unknown } | undefined)?.code === 'ENOENT'
}

/** Settles the run's baseline: `undefined` when the run has none and writes none. */
export function ratchet(findings: readonly Finding[], options: RatchetOptions): RatchetOutcome | undefined {
  const { baseline: configured, update, cwd } = options
  if (configured === undefined && !update) return undefined
  const verdict = typeof options.complete === 'function' ? options.complete() : options.complete
  const complete = verdict === true
  const why = typeof verdict === 'string' && verdict !== '' ? { partial: verdict } : {}
  const partialRun = why.partial === undefined ? 'a partial run' : `a partial run (${why.partial})`
  const path = configured?.path ?? DEFAULT_BASELINE_PATH
  const shown = (file: string): string => displayPath(file, cwd)
  let baseline: Baseline | undefined
  try {
    baseline = readBaseline(path, cwd)
  } catch (error) {
    const e = error instanceof BaselineError ? error : new BaselineError(String(error))
    // A first `LOOPCOP_UPDATE_BASELINE=1` run makes the file.
    if (!(update && missing(e))) return { path, known: 0, fixed: [], grown: [], shrunk: [], complete, ...why, written: false, lines: [], error: e }
  }
  const keyed = keyedFindings(findings, cwd)
  const seen = new Set(keyed.flatMap((k) => [keyText(k.key), ...k.earlier]))
  const known = findings.filter(isKnown).length
  const notSeen = (baseline?.entries ?? []).filter((e) => !seen.has(keyText(e)))
  // Whether a stall happens depends on the machine's speed and load: a run without it does not show
  // it fixed, so a stall's entry is not listed as fixed (nor fails a strict baseline) and an update
  // keeps it — one an earlier version keyed by where the stall was caught too, which may stand for
  // tests that did not stall this time; it goes when its line is deleted. Unless its test file is
  // gone: a complete run then shows it fixed, as it would a blocking call's.
  const gone = (e: BaselineKey): boolean => complete && fileGone(e, cwd)
  const unseen = notSeen.filter((e) => e.operation !== 'stall' || gone(e))
  const stallsKept = notSeen.filter((e) => e.operation === 'stall' && !gone(e))
  const lines: string[] = []
  // An entry is keyed by function, not line: a run that sees it at more lines than it was recorded
  // at has a new call site among them, and cannot tell which. Its tests passed as known; the run
  // fails over it where they would have failed (`fail` mode), as a strict baseline's fixed entries do.
  const seenLines = linesByKey(keyed)
  const counted = (e: BaselineEntry, differs: (seen: number, sites: number) => boolean): EntryAtLines[] => {
    const at = seenLines.get(keyText(e))
    return e.sites !== undefined && at !== undefined && differs(at.size, e.sites) ? [{ ...e, lines: [...at].sort((a, b) => a - b) }] : []
  }
  const grown = (baseline?.entries ?? []).flatMap((e) => counted(e, (seen, sites) => seen > sites))
  // Fewer lines is a fixed call site only where every test ran (a partial run saw only some lines).
  const shrunk = complete ? (baseline?.entries ?? []).flatMap((e) => counted(e, (seen, sites) => seen < sites)) : []
  if (update) {
    // A partial run cannot tell a fixed entry from one whose tests did not run: it keeps every entry
    // it does not write again, one it matched under an earlier version's key too (a location-keyed
    // stall's may stand for tests that did not run), and the counts of those it writes when larger.
    const fresh = entriesOf(keyed)
    const entries = rewrittenEntries(fresh, baseline?.entries ?? [], !complete, gone)
    let written: WrittenBaseline
    try {
      written = writeBaseline(path, entries, cwd)
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause)
      return { path, known, fixed: [], grown: [], shrunk: [], complete, ...why, written: false, lines, error: new Error(`loopcop: could not write the baseline file ${path} (LOOPCOP_UPDATE_BASELINE=1): ${reason}`, { cause }) }
    }
    const before = new Set(baseline?.entries.map(keyText) ?? [])
    const after = new Set(entries.map(keyText))
    const added = entries.filter((e) => !before.has(keyText(e))).length
    // Fixed ones, and ones rewritten under today's key (an earlier version's).
    const removed = (baseline?.entries ?? []).filter((e) => !after.has(keyText(e))).length
    const file = written.file
    // Stalls this run could not judge (no stack of the user's code, or several tests running) are
    // written too, as a later run may judge them; the summary counted them apart.
    const judged = new Set(keyedFindings(findings.filter((f) => !isUnjudged(f)), cwd).map((k) => keyText(k.key)))
    const unjudged = fresh.filter((e) => !judged.has(keyText(e))).length
    const ofThem = unjudged === 0 ? '' : `; ${unjudged} of them only stalls this run did not judge, accepted in case a later run does`
    const more = `${grown.length === 0 ? '' : `, ${grown.length} now at more lines`}${shrunk.length === 0 ? '' : `, ${shrunk.length} at fewer`}`
    const sites = `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} (${added} added, ${removed} removed${more}${ofThem}${complete ? ')' : `); ${partialRun} keeps the entries it did not see`}`
    lines.push(written.changed ? `loopcop: baseline written to ${shown(file)}: ${sites}` : `loopcop: baseline ${shown(file)} already holds what this run would write, left as it was: ${sites}`)
    if (stallsKept.length > 0) {
      const n = stallsKept.length
      lines.push(`loopcop: ${n} stall entr${n === 1 ? 'y' : 'ies'} not seen in this run ${n === 1 ? 'is' : 'are'} kept: whether a stall happens depends on the machine's speed, so a run without it does not show it fixed; delete ${n === 1 ? 'its line' : 'their lines'} when ${n === 1 ? 'it is' : 'they are'}`)
      for (const e of stallsKept) lines.push(`  kept: ${describeEntry(e)}`)
    }
    if (configured === undefined) lines.push(`loopcop: judge later runs against it with \`baseline: '${path}'\` in the configuration or LOOPCOP_BASELINE=${path}`)
    return { path: file, known, fixed: complete ? unseen : [], grown: [], shrunk: [], complete, ...why, written: true, lines }
  }
  const b = baseline as Baseline
  const fixed = complete ? unseen : []
  if (fixed.length > 0) {
    lines.push(`loopcop: ${fixed.length} baseline entr${fixed.length === 1 ? 'y' : 'ies'} no longer seen — fixed: remove ${fixed.length === 1 ? 'it' : 'them'} from the baseline ${shown(b.path)} (or rerun with LOOPCOP_UPDATE_BASELINE=1)`)
    for (const e of fixed) lines.push(`  fixed: ${describeEntry(e)}${e.operation === 'stall' ? ': its test file is gone' : ''}`)
  } else if (!complete && unseen.length > 0 && configured?.strict === true) {
    lines.push(`loopcop: ${why.partial === undefined ? 'a partial run (a test name or file filter, an option that leaves out part of the configured suite, a shard, .only, or tests that did not run through)' : partialRun}: ${unseen.length} baseline entr${unseen.length === 1 ? 'y' : 'ies'} not seen may belong to tests that did not run, and ${unseen.length === 1 ? 'is' : 'are'} not listed as fixed`)
  }
  for (const g of grown) lines.push(`loopcop: ${describeEntry(g)} blocked from ${g.lines.length} lines (${g.lines.join(', ')}) where the baseline ${shown(b.path)} records ${g.sites}: a new blocking call was added among them; move it off the event loop, or accept it with LOOPCOP_UPDATE_BASELINE=1`)
  for (const g of shrunk) lines.push(`loopcop: ${describeEntry(g)} blocked from ${plural(g.lines.length, 'line')} (${g.lines.join(', ')}) where the baseline ${shown(b.path)} records ${g.sites}: a call site of it was fixed; rerun with LOOPCOP_UPDATE_BASELINE=1 so that a new one cannot take its place unnoticed`)
  const errors: string[] = []
  if (configured?.strict === true && shrunk.length > 0) errors.push(`loopcop: the run fails: the baseline ${shown(b.path)} is strict and records more lines than this run saw for ${shrunk.length === 1 ? 'an entry' : `${shrunk.length} entries`} (see above): rerun with LOOPCOP_UPDATE_BASELINE=1`)
  if (configured?.strict === true && fixed.length > 0) errors.push(`loopcop: the baseline ${shown(b.path)} is strict and lists ${fixed.length} call site${fixed.length === 1 ? '' : 's'} that no longer block${fixed.length === 1 ? 's' : ''}: remove ${fixed.length === 1 ? 'it' : 'them'} from the file (LOOPCOP_UPDATE_BASELINE=1 rewrites it)`)
  const grownKeys = new Set(grown.map(keyText))
  const failing = grown.length === 0 ? 0 : new Set(keyed.filter((k) => k.fails && grownKeys.has(keyText(k.key))).map((k) => keyText(k.key))).size
  if (failing > 0) errors.push(`loopcop: the run fails: ${failing} baseline entr${failing === 1 ? 'y was' : 'ies were'} seen at more lines than ${shown(b.path)} records, so a new blocking call site is among them (see above)`)
  const error = errors.length === 0 ? undefined : new Error(errors.join('\n'))
  return { path: b.path, known, fixed, grown, shrunk, complete, ...why, written: false, lines, ...(error !== undefined && { error }) }
}
