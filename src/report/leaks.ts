// Leaks gathered by call site for the run report (docs/architecture.md, "report"). A live scope
// aggregates its calls by call site, but an integration that takes a test's leaks as they happen
// (Jest, Mocha, node:test, a Vitest file until its end) records one finding a call: a leaked
// interval's every tick. The report gathers them again: one finding a test, call site and verdict.
import { type Finding, type SyncIoFinding, testKey } from '../model/finding.js'

/** What makes two leaked calls one finding: the test, the operation at one position, and how each was judged. */
function leakKey(f: SyncIoFinding): string {
  const at = f.location === undefined ? '' : `${f.location.file}:${f.location.line}:${f.location.column}`
  return [testKey(f.test), f.operation, at, f.offender?.package ?? '', f.allowed, f.allowedBy ?? '', f.baselined === true, f.mode ?? '', f.testCode === true, f.unstacked, f.raised].join('\u0000')
}

/**
 * The findings with the leaked blocking calls of one test at one call site, judged alike, as one
 * finding: the first's, with the calls and time of all (`calls`, `durationMs`, the longest
 * `maxMs`, and in `otherArgs` the other arguments than the first's the calls were given). Every other finding
 * is kept as it is, and the order of first appearances too. Nothing is lost: the counts add up.
 */
export function gatheredLeaks(findings: readonly Finding[]): Finding[] {
  const groups = new Map<string, { first: SyncIoFinding; calls: number; durationMs: number; maxMs: number; otherArgs: number; others: Set<string | undefined>; at: number }>()
  const out: Finding[] = []
  for (const f of findings) {
    if (!f.leak || f.kind !== 'sync-io') {
      out.push(f)
      continue
    }
    const key = leakKey(f)
    const group = groups.get(key)
    if (group === undefined) {
      groups.set(key, { first: f, calls: f.calls, durationMs: f.durationMs, maxMs: f.maxMs, otherArgs: f.otherArgs ?? 0, others: new Set(), at: out.length })
      out.push(f)
      continue
    }
    group.calls += f.calls
    group.durationMs += f.durationMs
    if (f.maxMs > group.maxMs) group.maxMs = f.maxMs
    group.otherArgs += f.otherArgs ?? 0
    if (f.args !== group.first.args) group.others.add(f.args)
  }
  for (const g of groups.values()) {
    if (g.calls === g.first.calls) continue
    const otherArgs = g.otherArgs + g.others.size
    out[g.at] = { ...g.first, calls: g.calls, durationMs: g.durationMs, maxMs: g.maxMs, ...(otherArgs > 0 && { otherArgs }) }
  }
  return out
}
