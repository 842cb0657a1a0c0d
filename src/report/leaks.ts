// Leaks gathered by call site for the run report (docs/architecture.md, "report"). A live scope
// aggregates its calls by call site, but an integration that takes a test's leaks as they happen
// (Jest, Mocha, node:test, a Vitest file until its end) gets one finding a call: a leaked
// interval's every tick. They are gathered again where they are kept (the run's recording, a
// worker's spool) and in the report: one finding a test, call site and verdict.
import { type Finding, STACKS_PER_OPERATION, type SyncIoFinding, testKey } from '../model/finding.js'

/** What makes two leaked calls one finding: the test, the operation at one position, and how each was judged. */
export function leakKey(f: SyncIoFinding): string {
  const at = f.location === undefined ? '' : `${f.location.file}:${f.location.line}:${f.location.column}`
  return [testKey(f.test), f.operation, at, f.offender?.package ?? '', f.allowed, f.allowedBy ?? '', f.baselined === true, f.mode ?? '', f.testCode === true, f.unstacked, f.raised].join('\u0000')
}

/** Whether a finding is a leaked blocking call (work a test left running), which `LeakGathering` gathers. */
export function isLeakedCall(f: Finding): f is SyncIoFinding {
  return f.leak && f.kind === 'sync-io'
}

/** The calls of one leaked call site (a test's, judged alike) added up as they come. */
export interface LeakCounts {
  readonly first: SyncIoFinding
  calls: number
  durationMs: number
  maxMs: number
  /** Arguments other than the first's, told apart among the site's first calls (as a live scope does), counted as they are found. */
  otherArgs: number
  readonly others: Set<string | undefined>
  /** How many calls' arguments were compared. */
  compared: number
}

/** Counts for the calls of `first`'s site: `first`'s own when `withFirst`, else none yet. */
export function leakCounts(first: SyncIoFinding, withFirst: boolean): LeakCounts {
  return withFirst
    ? { first, calls: first.calls, durationMs: first.durationMs, maxMs: first.maxMs, otherArgs: first.otherArgs ?? 0, others: new Set(), compared: 1 }
    : { first, calls: 0, durationMs: 0, maxMs: 0, otherArgs: 0, others: new Set(), compared: 1 }
}

/** Adds a leaked call of the site to its counts. */
export function addLeakedCall(counts: LeakCounts, f: SyncIoFinding): void {
  counts.calls += f.calls
  counts.durationMs += f.durationMs
  if (f.maxMs > counts.maxMs) counts.maxMs = f.maxMs
  counts.otherArgs += f.otherArgs ?? 0
  if (counts.compared < STACKS_PER_OPERATION) {
    counts.compared++
    if (f.args !== counts.first.args && !counts.others.has(f.args)) {
      counts.others.add(f.args)
      counts.otherArgs++
    }
  }
}

/**
 * Leaked blocking calls gathered as they arrive: the first of a test's call site, judged alike,
 * stands for all of them; the later ones only add their counts to it. Memory grows with the call
 * sites, not the calls (a leaked interval ticking through a whole run is one group).
 */
export class LeakGathering {
  readonly #groups = new Map<string, LeakCounts>()

  /**
   * Takes a finding: `true` when it is to be kept where it is (not a leaked call, or the first of
   * its group), `false` when its calls were added to an earlier one's group.
   */
  take(f: Finding): boolean {
    if (!isLeakedCall(f)) return true
    const key = leakKey(f)
    const group = this.#groups.get(key)
    if (group === undefined) {
      this.#groups.set(key, leakCounts(f, true))
      return true
    }
    addLeakedCall(group, f)
    return false
  }

  /**
   * A finding `take` kept, with the calls and time of its whole group when it started one (`calls`,
   * `durationMs`, the longest `maxMs`, and in `otherArgs` the other arguments than the first's):
   * nothing is lost, the counts add up. Any other finding is returned as it is.
   */
  gathered(f: Finding): Finding {
    if (!isLeakedCall(f)) return f
    const g = this.#groups.get(leakKey(f))
    if (g === undefined || g.first !== f || g.calls === f.calls) return f
    return { ...f, calls: g.calls, durationMs: g.durationMs, maxMs: g.maxMs, ...(g.otherArgs > 0 && { otherArgs: g.otherArgs }) }
  }

  /** Whether no leaked call was taken (every finding is its own). */
  get empty(): boolean {
    return this.#groups.size === 0
  }

  /** Forgets every group (after their findings were taken with `gathered`). */
  clear(): void {
    this.#groups.clear()
  }
}

/**
 * The findings with the leaked blocking calls of one test at one call site, judged alike, as one
 * finding (see `LeakGathering`). Every other finding is kept as it is, and the order of first
 * appearances too.
 */
export function gatheredLeaks(findings: readonly Finding[]): Finding[] {
  if (!findings.some(isLeakedCall)) return [...findings]
  const gathering = new LeakGathering()
  const kept = findings.filter((f) => gathering.take(f))
  return kept.length === findings.length ? kept : kept.map((f) => gathering.gathered(f))
}
