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

interface LeakGroup {
  readonly first: SyncIoFinding
  calls: number
  durationMs: number
  maxMs: number
  otherArgs: number
  /** Arguments other than the first's, told apart among the first calls only (as a live scope does). */
  readonly others: Set<string | undefined>
  /** How many calls' arguments were compared. */
  compared: number
}

/**
 * Leaked blocking calls gathered as they arrive: the first of a test's call site, judged alike,
 * stands for all of them; the later ones only add their counts to it. Memory grows with the call
 * sites, not the calls (a leaked interval ticking through a whole run is one group).
 */
export class LeakGathering {
  readonly #groups = new Map<string, LeakGroup>()

  /**
   * Takes a finding: `true` when it is to be kept where it is (not a leaked call, or the first of
   * its group), `false` when its calls were added to an earlier one's group.
   */
  take(f: Finding): boolean {
    if (!isLeakedCall(f)) return true
    const key = leakKey(f)
    const group = this.#groups.get(key)
    if (group === undefined) {
      this.#groups.set(key, { first: f, calls: f.calls, durationMs: f.durationMs, maxMs: f.maxMs, otherArgs: f.otherArgs ?? 0, others: new Set(), compared: 1 })
      return true
    }
    group.calls += f.calls
    group.durationMs += f.durationMs
    if (f.maxMs > group.maxMs) group.maxMs = f.maxMs
    group.otherArgs += f.otherArgs ?? 0
    if (group.compared < STACKS_PER_OPERATION) {
      group.compared++
      if (f.args !== group.first.args) group.others.add(f.args)
    }
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
    const otherArgs = g.otherArgs + g.others.size
    return { ...f, calls: g.calls, durationMs: g.durationMs, maxMs: g.maxMs, ...(otherArgs > 0 && { otherArgs }) }
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
