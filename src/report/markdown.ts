// The run summary in Markdown (README "CI"): for `$GITHUB_STEP_SUMMARY` at the end of a run on
// GitHub Actions, and `npx loopcop summary <report.json>` anywhere. Made from a JSON report, so a
// merged report of shards reads the same as a single run's.
import type { JsonFinding, JsonReport } from './json.js'
import { failedItsTest, isKnown, isViolation, testKey } from '../model/finding.js'
import { NO_STACK, callsAndStalls, count, knownStallsNote, plural, warnedOnlyMarks } from './messages.js'
import { describeEntry } from './ratchet.js'

/** A call site of the Markdown summary. */
interface Row {
  readonly kind: JsonFinding['kind']
  readonly operation: string
  readonly site: string
  calls: number
  ms: number
  readonly tests: Set<string>
  /** The packages that made its calls, for the user's line shown (node-fetch: form-data's at `form.append`). */
  readonly packages: Set<string>
  /** Whether a finding of the site failed its test (`failedItsTest`). */
  failed: boolean
}

function rows(findings: SummarizedReport['findings']): Row[] {
  const byKey = new Map<string, Row>()
  for (const f of findings) {
    const operation = f.kind === 'stall' ? 'event loop stall' : (f.operation ?? '?')
    const site = f.location === undefined ? '(no stack)' : `${f.location.file}:${f.location.line}`
    const key = `${operation}\u0000${site}`
    let row = byKey.get(key)
    if (row === undefined) byKey.set(key, (row = { kind: f.kind, operation, site, calls: 0, ms: 0, tests: new Set(), packages: new Set(), failed: false }))
    row.calls += f.calls
    row.failed ||= failedItsTest(f)
    row.ms += f.durationMs
    if (f.test !== undefined) row.tests.add(testKey(f.test))
    if (f.kind === 'sync-io' && f.offender !== undefined) row.packages.add(f.offender.package)
  }
  return [...byKey.values()].sort((a, b) => b.ms - a.ms)
}

/** Escapes what Markdown tables and inline text would read as markup. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[`*_<>[\]]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ')
}

const ms = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(1)} ms`)

/**
 * A table of call sites. Where some failed their tests and others only warned (stalls under
 * `stallMode: 'warn'`, leaks), those are marked, as the console summary marks them.
 */
function table(list: readonly Row[]): string[] {
  const warned = warnedOnlyMarks(list.map((r) => r.failed))
  return ['| operation | call site | calls | blocked | tests |', '| --- | --- | ---: | ---: | ---: |', ...list.map((r, i) => `| ${cell(r.operation)}${warned[i] === undefined ? '' : ` (${warned[i]})`} | ${cell(r.site)}${r.packages.size === 0 ? '' : ` (by ${cell([...r.packages].join(', '))})`} | ${count(r.calls)} | ${ms(r.ms)} | ${r.tests.size} |`)]
}

/** What the Markdown summary reads of a report: all but its findings' stacks (a run's own summary leaves them out). */
export type SummarizedReport = Omit<JsonReport, 'findings'> & { readonly findings: readonly Omit<JsonFinding, 'stack'>[] }

/** The Markdown summary of a JSON report: new blocking by call site, then known, asserted, allowed and fixed ones. */
export function markdownSummary(report: SummarizedReport): string {
  // What the console summary counts as blocking: calls kept without a stack are counted apart.
  const violations = report.findings.filter(isViolation)
  const known = report.findings.filter(isKnown)
  const asserted = report.findings.filter((f) => f.scope === 'assertion' && !f.allowed)
  const s = report.summary
  const lines: string[] = ['## loopcop', '']
  const main = rows(violations)
  const apart = s.unjudgedStalls > 0 ? `, apart from ${plural(s.unjudgedStalls, 'stall')} not judged` : ''
  // A run loopcop checked no file of: its empty report is no clean bill.
  if (s.unchecked !== undefined) lines.push(`**Not checked**: ${cell(s.unchecked)}`, '')
  const grown = report.baseline?.grown ?? []
  if (main.length === 0) {
    const none = grown.length > 0 ? "No blocking of the event loop found outside the baseline's entries, but some were seen at more lines than they record (below)" : `No ${known.length > 0 ? 'new ' : ''}blocking of the event loop found`
    if (s.unchecked === undefined) lines.push(`${none}${asserted.length > 0 ? ' outside assertions' : ''}${apart}.`, '')
  } else lines.push(`**${callsAndStalls(violations, s.calls)}** at ${plural(main.length, 'call site')} in ${plural(s.tests, 'test')}, ${ms(s.blockedMs)} blocked${known.length > 0 ? ' (new: not in the baseline)' : ''}:`, '', ...table(main), '')
  if (known.length > 0) {
    const r = rows(known)
    lines.push(`<details><summary>Known from the baseline (reported, not failing): ${callsAndStalls(known, r.reduce((n, x) => n + x.calls, 0))} at ${plural(r.length, 'call site')}</summary>`, '', ...table(r), '', '</details>', '')
  }
  if (asserted.length > 0) {
    const r = rows(asserted)
    lines.push(`Found by assertions (they pass or fail their tests themselves): ${callsAndStalls(r, r.reduce((n, x) => n + x.calls, 0))} at ${plural(r.length, 'call site')}.`, '', ...table(r), '')
  }
  const fixed = report.baseline?.fixed ?? []
  if (fixed.length > 0) {
    lines.push(`**Fixed**: ${plural(fixed.length, 'baseline entry', 'baseline entries')} no longer seen — remove ${fixed.length === 1 ? 'it' : 'them'} from \`${cell(report.baseline?.path ?? '')}\`:`, '')
    for (const e of fixed) lines.push(`- ${cell(describeEntry(e))}`)
    lines.push('')
  }
  if (grown.length > 0) {
    lines.push(`**New call sites of known entries**: ${plural(grown.length, 'baseline entry', 'baseline entries')} seen at more lines than \`${cell(report.baseline?.path ?? '')}\` records — a new blocking call among them:`, '')
    for (const g of grown) lines.push(`- ${cell(describeEntry(g))}: lines ${g.lines.join(', ')}, where the baseline records ${g.sites ?? 0}`)
    lines.push('')
  }
  const shrunk = report.baseline?.shrunk ?? []
  if (shrunk.length > 0) {
    lines.push(`**Fixed call sites of known entries**: ${plural(shrunk.length, 'baseline entry', 'baseline entries')} seen at fewer lines than \`${cell(report.baseline?.path ?? '')}\` records — update it (LOOPCOP_UPDATE_BASELINE=1):`, '')
    for (const g of shrunk) lines.push(`- ${cell(describeEntry(g))}: ${plural(g.lines.length, 'line')} (${g.lines.join(', ')}), where the baseline records ${g.sites ?? 0}`)
    lines.push('')
  }
  const knownStalls = s.unjudgedStalls === 0 ? 0 : report.findings.filter((f) => f.kind === 'stall' && f.unjudged !== undefined && f.baselined === true).length
  const knownNote = knownStallsNote(s.unjudgedStalls, knownStalls)
  if (s.unjudgedStalls > 0) lines.push(`${plural(s.unjudgedStalls, 'stall')} not judged (no stack showing your code could be read, or several tests could own ${s.unjudgedStalls === 1 ? 'it' : 'them'}; each says why in the JSON report${knownNote}).`, '')
  if (s.unstackedCalls > 0) lines.push(`${plural(s.unstackedCalls, 'more call')} not judged, not counted above (${NO_STACK}).`, '')
  if (s.allowed > 0) lines.push(`${plural(s.allowed, 'allowed finding')} (allow rules, \`allowBlocking()\`) not counted above.`, '')
  if ((s.lost ?? 0) > 0) lines.push(`${plural(s.lost ?? 0, 'finding')} sent by test workers could not be read back and ${s.lost === 1 ? 'is' : 'are'} missing.`, '')
  return `${lines.join('\n')}\n`
}
