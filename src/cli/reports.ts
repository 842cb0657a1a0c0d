// The JSON reports the CLI reads (README "CI"): read and checked one by one, and merged — the
// reports of shards, or of runs split any other way — so that every finding counts once.
import { readFileSync } from 'node:fs'
import type { BaselineEntry } from '../report/baseline.js'
import { type JsonBaseline, type JsonFinding, type JsonReport, summarize } from '../report/json.js'

/** A report that cannot be used: the CLI prints its message and exits non-zero. */
export class ReportError extends Error {
  override readonly name = 'ReportError'
}

/** Reads a loopcop JSON report (schema version 1); throws a `ReportError` naming the file and what is wrong. */
export function readReport(path: string): JsonReport {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    throw new ReportError(`cannot read ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new ReportError(`${path} is not JSON: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
  const report = value as Partial<JsonReport> | null
  if (typeof report !== 'object' || report === null || report.version !== 1 || !Array.isArray(report.findings)) {
    throw new ReportError(`${path} is not a loopcop JSON report (expected { "version": 1, "findings": [...] }, as written by report.json or LOOPCOP_REPORT)`)
  }
  report.findings.forEach((f: unknown, i) => {
    const { id, kind } = (f ?? {}) as { id?: unknown; kind?: unknown }
    if (typeof id !== 'string' || (kind !== 'sync-io' && kind !== 'stall')) throw new ReportError(`${path}: findings[${i}] is not a finding (no string \`id\`, or \`kind\` is not "sync-io" or "stall")`)
  })
  return report as JsonReport
}

const key = (e: BaselineEntry): string => `${e.file}\u0000${e.function}\u0000${e.operation}\u0000${e.package}`

/** The baseline part of merged reports: known findings counted afresh, fixed only what every complete report lists. */
function mergeBaselines(reports: readonly JsonReport[], findings: readonly JsonFinding[]): JsonBaseline | undefined {
  const parts = reports.map((r) => r.baseline).filter((b): b is JsonBaseline => b !== undefined)
  const [first] = parts
  if (first === undefined) return undefined
  const complete = parts.every((b) => b.complete)
  // A shard sees part of the suite: an entry is fixed only when no part of the run saw it.
  let fixed: readonly BaselineEntry[] = complete ? first.fixed : []
  for (const b of parts.slice(1)) {
    const there = new Set(b.fixed.map(key))
    fixed = fixed.filter((e) => there.has(key(e)))
  }
  // Why each partial part was (a shard's `--shard`, another's failed test), each said once.
  const partial = [...new Set(parts.flatMap((b) => (b.complete || b.partial === undefined ? [] : [b.partial])))].join('; ') || undefined
  return { path: first.path, known: findings.filter((f) => f.baselined === true).length, complete, ...(partial !== undefined && { partial }), fixed, written: parts.some((b) => b.written) }
}

/**
 * Merges reports: every finding once (by id: findings are unique across processes, so the same id
 * in two reports is one finding given twice), the summary counted afresh, lost findings added up —
 * except a report's given again (the same report twice, or a part of a merge given with it: none of
 * its findings new), whose lost ones are already counted. A report without findings cannot be told
 * from another like it (two shards that found nothing): its lost ones always count.
 */
export function mergeReports(reports: readonly JsonReport[]): JsonReport {
  // Lost ones: the largest report first, so that a merge is counted before the parts it holds.
  const seen = new Set<string>()
  let lost = 0
  for (const r of [...reports].sort((a, b) => b.findings.length - a.findings.length)) {
    const again = r.findings.length > 0 && r.findings.every((f) => seen.has(f.id))
    for (const f of r.findings) seen.add(f.id)
    if (!again) lost += r.summary.lost ?? 0
  }
  const byId = new Map<string, JsonFinding>()
  for (const r of reports) for (const f of r.findings) if (!byId.has(f.id)) byId.set(f.id, f)
  const findings = [...byId.values()]
  const baseline = mergeBaselines(reports, findings)
  // A part that checked no test file says why; merged with parts that did, how many it was.
  const why = [...new Set(reports.flatMap((r) => (r.summary.unchecked === undefined ? [] : [r.summary.unchecked])))]
  const uncheckedParts = reports.filter((r) => r.summary.unchecked !== undefined).length
  const unchecked = why.length === 0 ? undefined : uncheckedParts === reports.length ? why.join('; ') : `${uncheckedParts} of ${reports.length} merged reports: ${why.join('; ')}`
  return { version: 1, findings, summary: summarize(findings, lost, unchecked), ...(baseline !== undefined && { baseline }) }
}
