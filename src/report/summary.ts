// The end-of-run summary and GitHub annotations (docs/architecture.md, "report"): findings grouped
// by call site (operation + the user's line), most blocked first.
import { type Finding, isViolation } from '../model/finding.js'
import { type Mode, failsTests } from '../model/mode.js'
import { displayPath } from '../stack/frames.js'
import { jsonReport } from './json.js'
import { describeFinding, formatMs } from './messages.js'

/** One row of the run summary: a call site with everything charged to it. */
export interface SiteSummary {
  readonly kind: Finding['kind']
  readonly operation: string
  /** `file:line:col` of the user's frame, or `(no stack)`. */
  readonly site: string
  readonly calls: number
  readonly blockedMs: number
  readonly tests: readonly string[]
  readonly leak: boolean
  readonly example: Finding
  /** Every finding at this site. */
  readonly findings: readonly Finding[]
}

/** Groups the findings that are not allowed by call site (operation + first-party location). */
export function summarizeBySite(findings: readonly Finding[], cwd?: string): SiteSummary[] {
  const sites = new Map<string, { kind: Finding['kind']; operation: string; site: string; calls: number; blockedMs: number; tests: Set<string>; leak: boolean; example: Finding; findings: Finding[] }>()
  for (const f of findings) {
    if (!isViolation(f)) continue
    const operation = f.kind === 'sync-io' ? f.operation : 'event loop stall'
    const site = f.location === undefined ? '(no stack)' : `${displayPath(f.location.file, cwd)}:${f.location.line}:${f.location.column}`
    const key = `${f.kind}|${operation}|${site}`
    let s = sites.get(key)
    if (s === undefined) {
      s = { kind: f.kind, operation, site, calls: 0, blockedMs: 0, tests: new Set(), leak: false, example: f, findings: [] }
      sites.set(key, s)
    }
    s.findings.push(f)
    s.calls += f.calls
    s.blockedMs += f.durationMs
    s.leak ||= f.leak
    if (f.test !== undefined) s.tests.add(f.test.name)
  }
  return [...sites.values()].map((s) => ({ ...s, tests: [...s.tests] })).sort((a, b) => b.blockedMs - a.blockedMs)
}

/** The console summary printed at the end of a run. Empty findings give a one-line all-clear. */
export function formatSummary(findings: readonly Finding[], cwd?: string): string {
  const report = jsonReport(findings, cwd)
  const s = report.summary
  if (s.findings === 0) {
    const allowed = s.allowed > 0 ? ` (${s.allowed} allowed finding${s.allowed === 1 ? '' : 's'}${s.testCodeCalls > 0 ? `; ${testCode(s.testCodeCalls, '')}` : ''})` : ''
    return `loopcop: no blocking of the event loop found${allowed}`
  }
  const sites = summarizeBySite(findings, cwd)
  const lines = [
    `loopcop: ${s.calls.toLocaleString('en-US')} blocking call${s.calls === 1 ? '' : 's'} at ${sites.length} call site${sites.length === 1 ? '' : 's'} in ${s.tests} test${s.tests === 1 ? '' : 's'}, ${formatMs(s.blockedMs)} blocked in total`,
  ]
  for (const site of sites) {
    const tests = site.tests.length === 0 ? '' : ` — ${site.tests.length} test${site.tests.length === 1 ? '' : 's'}: ${site.tests.slice(0, 3).map((t) => JSON.stringify(t)).join(', ')}${site.tests.length > 3 ? ', …' : ''}`
    lines.push(`  ${site.operation} at ${site.site}: ${site.calls.toLocaleString('en-US')} call${site.calls === 1 ? '' : 's'}, ${formatMs(site.blockedMs)}${site.leak ? ' (leaked past its test)' : ''}${tests}`)
    lines.push(`      ${describeFinding(site.example).split(' — ').slice(-1)[0] ?? ''}`)
  }
  if (s.unstackedCalls > 0) lines.push(`  ${s.unstackedCalls.toLocaleString('en-US')} more call${s.unstackedCalls === 1 ? '' : 's'} not judged, not counted above (no stack of their own: past the first calls of an operation in a test that already failed, calls are counted and timed only)`)
  if (s.allowed > 0) lines.push(`  ${s.allowed} allowed finding${s.allowed === 1 ? '' : 's'} not counted above (listed in the JSON report: report.json or LOOPCOP_REPORT)`)
  if (s.testCodeCalls > 0) lines.push(`  ${testCode(s.testCodeCalls, '')}`)
  return lines.join('\n')
}

/** How many calls the "test code" rule allowed, as a clause (empty when none). */
function testCode(calls: number, before: string): string {
  return calls === 0 ? '' : `${before}${calls.toLocaleString('en-US')} blocking call${calls === 1 ? '' : 's'} by the tests' own code, allowed by the rule "test code" (testCode: 'check' counts them)`
}

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}
function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

/** An annotation's level: `error` for every finding, `warning` for every one, or each by the mode that judged it. */
export type AnnotationLevel = 'error' | 'warning' | { readonly mode: Mode; readonly stallMode: Mode }

/**
 * GitHub Actions workflow commands, one per call site, placed at the user's line. File paths are
 * relative to `GITHUB_WORKSPACE` (the repository checkout) when it is set, as GitHub resolves them
 * there: a monorepo package's own root (`cwd`) would point at the wrong file.
 */
export function githubAnnotations(findings: readonly Finding[], level: AnnotationLevel, cwd?: string): string[] {
  const workspace = process.env.GITHUB_WORKSPACE
  const base = workspace !== undefined && workspace !== '' ? workspace : cwd
  // Judged by mode: each call site is an error when a finding there failed its test (judged in
  // `fail`/`throw` mode), a warning when its findings were only printed (`warn` mode). Findings
  // from before the mode was recorded follow the configuration given.
  const levelOf = (site: SiteSummary): 'error' | 'warning' => {
    if (typeof level === 'string') return level
    const fails = (f: Finding): boolean => failsTests(f.mode ?? (f.kind === 'stall' ? level.stallMode : level.mode))
    return site.findings.some(fails) ? 'error' : 'warning'
  }
  return summarizeBySite(findings, cwd).map((site) => {
    const loc = site.example.location
    const props = loc === undefined ? '' : `file=${escapeProperty(displayPath(loc.file, base))},line=${loc.line},col=${loc.column},`
    const msg = `${describeFinding(site.example)}${site.calls > site.example.calls ? ` (${site.calls} calls in ${site.tests.length} tests)` : ''}`
    return `::${levelOf(site)} ${props}title=${escapeProperty(`loopcop: ${site.operation}`)}::${escapeData(msg)}`
  })
}
