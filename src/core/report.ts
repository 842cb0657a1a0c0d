import { resolve } from 'node:path'
import { currentOptions } from './config.js'
import { outsideScopes } from './scope.js'
import type { Finding, TestRef } from './findings.js'
import { writeFileAtomically } from './files.js'
import { describeFinding, formatMs, totalCalls } from './messages.js'
import { displayPath, formatFrame } from './stack.js'

/** One finding as the JSON report holds it (paths relative to the working directory). */
export interface JsonFinding {
  readonly id: string
  readonly kind: Finding['kind']
  readonly operation?: string
  readonly category?: string
  readonly hint?: string
  readonly args?: string
  readonly durationMs: number
  readonly maxMs: number
  readonly calls: number
  readonly allowed: boolean
  readonly allowedBy?: string
  readonly leak: boolean
  readonly unstacked?: boolean
  readonly thresholdMs?: number
  readonly test?: TestRef
  readonly location?: { readonly file: string; readonly line: number; readonly column: number }
  readonly offender?: { readonly package: string; readonly file: string; readonly line: number; readonly column: number }
  readonly stack: readonly string[]
  /** The mode that judged it: `fail`/`throw` failed its test, `warn` only printed it. */
  readonly mode?: string
}

/** The JSON run report, schema version 1 (DESIGN.md). */
export interface JsonReport {
  readonly version: 1
  readonly findings: readonly JsonFinding[]
  readonly summary: {
    /** Findings that are not allowed. */
    readonly findings: number
    /** Tests with at least one finding that is not allowed. */
    readonly tests: number
    /** Time blocked by findings that are not allowed, in ms. */
    readonly blockedMs: number
    /** Blocking calls that are not allowed. */
    readonly calls: number
    /** Findings allowed by a user rule (kept for auditing the allow list). */
    readonly allowed: number
    /** Calls that kept no stack of their own (sampled after the first calls of an operation in a test). */
    readonly unstackedCalls: number
    /** Findings a test worker sent that could not be read back (damaged spool lines); absent when none. */
    readonly lost?: number
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000

/** A finding in its JSON form. */
export function toJsonFinding(f: Finding, cwd = process.cwd()): JsonFinding {
  const rel = (file: string) => displayPath(file, cwd)
  return {
    id: f.id,
    kind: f.kind,
    ...(f.kind === 'sync-io' && { operation: f.operation, category: f.category, hint: f.hint, unstacked: f.unstacked }),
    ...(f.kind === 'sync-io' && f.args !== undefined && { args: f.args }),
    ...(f.kind === 'stall' && { thresholdMs: f.thresholdMs }),
    durationMs: round(f.durationMs),
    maxMs: round(f.maxMs),
    calls: f.calls,
    allowed: f.allowed,
    ...(f.allowedBy !== undefined && { allowedBy: f.allowedBy }),
    leak: f.leak,
    ...(f.test !== undefined && { test: { name: f.test.name, ...(f.test.file !== undefined && { file: rel(f.test.file) }) } }),
    ...(f.location !== undefined && { location: { ...f.location, file: rel(f.location.file) } }),
    ...(f.offender !== undefined && { offender: { ...f.offender, file: rel(f.offender.file) } }),
    stack: f.frames.map((fr) => formatFrame(fr, cwd)),
    ...(f.mode !== undefined && { mode: f.mode }),
  }
}

function testKey(t: TestRef | undefined): string {
  return t === undefined ? '' : `${t.file ?? ''}\u0000${t.name}`
}

/** Builds the JSON report of a run; `lost` counts findings that could not be read back from workers. */
export function jsonReport(findings: readonly Finding[], cwd?: string, lost = 0): JsonReport {
  const blocking = findings.filter((f) => !f.allowed)
  const tests = new Set(blocking.filter((f) => f.test !== undefined).map((f) => testKey(f.test)))
  let blockedMs = 0
  let unstackedCalls = 0
  for (const f of blocking) {
    blockedMs += f.durationMs
    if (f.kind === 'sync-io' && f.unstacked) unstackedCalls += f.calls
  }
  return {
    version: 1,
    findings: findings.map((f) => toJsonFinding(f, cwd)),
    summary: {
      findings: blocking.length,
      tests: tests.size,
      blockedMs: round(blockedMs),
      calls: totalCalls(blocking),
      allowed: findings.length - blocking.length,
      unstackedCalls,
      ...(lost > 0 && { lost }),
    },
  }
}

/**
 * Writes the JSON report (creating its folder), outside every scope so the write is never a
 * finding. Atomic (a temporary file renamed over it), and a symbolic link at the path is replaced
 * by the report, never followed (see `writeFileAtomically`).
 */
export function writeJsonReport(path: string, findings: readonly Finding[], cwd = process.cwd(), lost = 0): string {
  const file = resolve(cwd, path)
  outsideScopes(() => writeFileAtomically(file, JSON.stringify(jsonReport(findings, cwd, lost), null, 2) + '\n'))
  return file
}

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
    if (f.allowed) continue
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
    const allowed = s.allowed > 0 ? ` (${s.allowed} allowed finding${s.allowed === 1 ? '' : 's'})` : ''
    return `loopcop: no blocking of the event loop found${allowed}`
  }
  const sites = summarizeBySite(findings, cwd)
  const lines = [
    `loopcop: ${s.calls.toLocaleString('en-US')} blocking call${s.calls === 1 ? '' : 's'} at ${sites.length} call site${sites.length === 1 ? '' : 's'} in ${s.tests} test${s.tests === 1 ? '' : 's'}, ${formatMs(s.blockedMs)} blocked in total`,
  ]
  for (const site of sites) {
    const tests = site.tests.length === 0 ? '' : ` — ${site.tests.length} test${site.tests.length === 1 ? '' : 's'}: ${site.tests.slice(0, 3).map((t) => JSON.stringify(t)).join(', ')}${site.tests.length > 3 ? ', …' : ''}`
    lines.push(`  ${site.operation} at ${site.site}: ${site.calls.toLocaleString('en-US')} call${site.calls === 1 ? '' : 's'}, ${formatMs(site.blockedMs)}${site.leak ? ' (leaked past its test)' : ''}${tests}`)
    lines.push(`      ${describeFinding(site.example).split(' — ').slice(-1)[0]}`)
  }
  if (s.unstackedCalls > 0) lines.push(`  (${s.unstackedCalls.toLocaleString('en-US')} calls kept no stack of their own: after the first calls of an operation in a test, calls are counted and timed only)`)
  if (s.allowed > 0) lines.push(`  ${s.allowed} allowed finding${s.allowed === 1 ? '' : 's'} not counted above (listed in the JSON report: report.json or LOOPCOP_REPORT)`)
  return lines.join('\n')
}

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}
function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

/**
 * GitHub Actions workflow commands, one per call site, placed at the user's line. File paths are
 * relative to `GITHUB_WORKSPACE` (the repository checkout) when it is set, as GitHub resolves them
 * there: a monorepo package's own root (`cwd`) would point at the wrong file.
 */
export function githubAnnotations(findings: readonly Finding[], level?: 'error' | 'warning', cwd?: string): string[] {
  const workspace = process.env.GITHUB_WORKSPACE
  const base = workspace !== undefined && workspace !== '' ? workspace : cwd
  // Without a level: each call site is an error when a finding there failed its test (judged in
  // `fail`/`throw` mode), a warning when its findings were only printed (`warn` mode). Findings
  // from before the mode was recorded follow the configuration in force.
  const options = level === undefined ? currentOptions() : undefined
  const levelOf = (site: SiteSummary): 'error' | 'warning' => {
    if (level !== undefined) return level
    const fails = (f: Finding): boolean => {
      const mode = f.mode ?? (f.kind === 'stall' ? options?.stallMode : options?.mode)
      return mode === 'fail' || mode === 'throw'
    }
    return site.findings.some(fails) ? 'error' : 'warning'
  }
  return summarizeBySite(findings, cwd).map((site) => {
    const loc = site.example.location
    const props = loc === undefined ? '' : `file=${escapeProperty(displayPath(loc.file, base))},line=${loc.line},col=${loc.column},`
    const msg = `${describeFinding(site.example)}${site.calls > site.example.calls ? ` (${site.calls} calls in ${site.tests.length} tests)` : ''}`
    return `::${levelOf(site)} ${props}title=${escapeProperty(`loopcop: ${site.operation}`)}::${escapeData(msg)}`
  })
}

/** Collects findings from every worker of a run; a finding seen twice (same id) counts once. */
export class RunCollector {
  readonly #byId = new Map<string, Finding>()

  /** Adds findings; returns how many were new. */
  add(findings: Iterable<Finding>): number {
    let added = 0
    for (const f of findings) {
      if (this.#byId.has(f.id)) continue
      this.#byId.set(f.id, f)
      added++
    }
    return added
  }

  /** Every distinct finding, in arrival order. */
  get findings(): Finding[] {
    return [...this.#byId.values()]
  }
}

/** How `reportRun` ends a run. */
export interface ReportRunOptions {
  /** Path of the JSON report. */
  readonly json?: string
  /** Print GitHub Actions annotations. @default process.env.GITHUB_ACTIONS === 'true' */
  readonly github?: boolean
  /** Annotation level for every finding; without it, each follows `mode`/`stallMode`. */
  readonly level?: 'error' | 'warning'
  /**
   * The findings to annotate, when the runner annotates some itself (Vitest's `github-actions`
   * reporter annotates every failed test at its error's stack: loopcop's failures included).
   * @default findings
   */
  readonly annotate?: readonly Finding[]
  /** Where the summary and annotations go. @default process.stdout */
  readonly write?: (text: string) => void
  /** The project root that paths are shown relative to. @default process.cwd() */
  readonly cwd?: string
  /** Findings the workers sent that could not be read back (see `readSpool`): said, and counted in the JSON report. */
  readonly lost?: number
}

/** What `reportRun` did, for the caller (and tests). */
export interface RunReportResult {
  readonly summary: string
  readonly jsonPath?: string
  readonly annotations: readonly string[]
  /**
   * The JSON report could not be written (a folder in the way, no permission, a full disk). The
   * integration must make the run fail with it: CI that reads the report would otherwise read an
   * old one, or none, after a green run.
   */
  readonly error?: Error
}

/**
 * The end of a run, the same for every runner: print the summary grouped by call site, write the
 * JSON report when `report.json` (or `LOOPCOP_REPORT`) is set, print GitHub annotations when
 * `report.github` (default: `GITHUB_ACTIONS === 'true'`).
 */
export function reportRun(findings: readonly Finding[], options: ReportRunOptions = {}): RunReportResult {
  const write = options.write ?? ((text: string) => process.stdout.write(text + '\n'))
  const summary = formatSummary(findings, options.cwd)
  write(summary)
  const github = options.github ?? process.env.GITHUB_ACTIONS === 'true'
  const annotations = github ? githubAnnotations(options.annotate ?? findings, options.level, options.cwd) : []
  for (const a of annotations) write(a)
  const lost = options.lost ?? 0
  if (lost > 0) write(`loopcop: ${lost} finding${lost === 1 ? '' : 's'} sent by test workers could not be read back (a worker stopped mid-write?) and ${lost === 1 ? 'is' : 'are'} missing from this report`)
  let jsonPath: string | undefined
  let error: Error | undefined
  if (options.json !== undefined) {
    try {
      jsonPath = writeJsonReport(options.json, findings, options.cwd, lost)
      write(`loopcop: JSON report written to ${displayPath(jsonPath, options.cwd)}`)
    } catch (cause) {
      const target = resolve(options.cwd ?? process.cwd(), options.json)
      const reason = cause instanceof Error ? cause.message : String(cause)
      error = new Error(`loopcop: could not write the JSON report to ${target} (report.json / LOOPCOP_REPORT): ${reason}`, { cause })
    }
  }
  return { summary, annotations, ...(jsonPath !== undefined && { jsonPath }), ...(error !== undefined && { error }) }
}
