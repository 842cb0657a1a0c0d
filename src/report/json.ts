// The JSON run report, schema version 1 (docs/architecture.md, "report"; README "What is reported").
import { resolve } from 'node:path'
import { type Finding, type StallFinding, type SyncIoFinding, type TestRef, isKnown, isUnjudged, isViolation, testKey } from '../model/finding.js'
import { TEST_CODE_RULE } from '../model/verdict.js'
import type { BaselineEntry, EntryAtLines } from './baseline.js'
import { writeFileAtomically } from '../runtime/files.js'
import { displayPath, formatFrame } from '../stack/frames.js'
import { projectCwd } from '../runtime/cwd.js'

/**
 * One finding as the JSON report holds it: the model's fields with paths relative to the working
 * directory, the frames as `fn (file:line:col)` lines (`stack`), the fields of either kind optional.
 */
export type JsonFinding = Pick<Finding, 'id' | 'kind' | 'durationMs' | 'maxMs' | 'calls' | 'allowed' | 'allowedBy' | 'leak' | 'test' | 'location' | 'offender' | 'testCode' | 'baselined' | 'scope' | 'mode'> &
  Partial<Pick<SyncIoFinding, 'operation' | 'category' | 'hint' | 'args' | 'otherArgs' | 'unstacked'>> &
  Partial<Pick<StallFinding, 'thresholdMs' | 'unjudged' | 'candidates' | 'wallMs'>> & {
    /** The frames, nearest first, as `fn (file:line:col)`. */
    readonly stack: readonly string[]
    /** `false` for calls that kept no stack of their own and could not be judged (never violations); absent otherwise. */
    readonly judged?: false
    /** The rule that allowed it (the same as `allowedBy`): `allowBlocking()`, a user rule, "test code". */
    readonly rule?: string
  }

/** What the baseline made of the run, in the JSON report. */
export interface JsonBaseline {
  /** The baseline file, relative to the working directory. */
  readonly path: string
  /** Findings it knew (`"baselined": true`). */
  readonly known: number
  /** The run ran the whole suite: only then are entries it did not see listed as `fixed`. */
  readonly complete: boolean
  /** Why a partial run was partial, when its integration could tell (`"--grep"`, `"a test or a hook failed, or a test file did not load"`). */
  readonly partial?: string
  /** Entries no finding of this complete run matched: remove them from the file. */
  readonly fixed: readonly BaselineEntry[]
  /**
   * Entries this run saw at more lines than they record (`sites`): a new call site among them. Each
   * as the baseline file has it (its `calls` and `tests` are the file's), with the `lines` this run
   * saw it at. Absent when none.
   */
  readonly grown?: readonly EntryAtLines[]
  /** Entries this complete run saw at fewer lines than they record (a call site of theirs fixed), likewise. Absent when none. */
  readonly shrunk?: readonly EntryAtLines[]
  /** The file was written from this run (`LOOPCOP_UPDATE_BASELINE=1`). */
  readonly written: boolean
}

/** The JSON run report, schema version 1. */
export interface JsonReport {
  readonly version: 1
  readonly findings: readonly JsonFinding[]
  readonly summary: {
    /** Findings that fail tests: not allowed, not unjudged, not in the baseline, not an assertion's. */
    readonly findings: number
    /** Tests with at least one such finding. */
    readonly tests: number
    /** Time blocked by findings that are not allowed, in ms. */
    readonly blockedMs: number
    /** Blocking operations that are not allowed: blocking calls, and stalls (one each; `stalls` says how many of them were stalls, as the run summary counts them apart). */
    readonly calls: number
    /** Of `calls`, the stalls; absent when none. */
    readonly stalls?: number
    /** Findings allowed by a user rule or the "test code" rule (kept for auditing the allow list). */
    readonly allowed: number
    /** Calls the "test code" rule allowed: blocking calls the tests' own code made. */
    readonly testCodeCalls: number
    /**
     * Judged findings the baseline knew (reported, not failing), as the console summary counts
     * them: calls not judged that it knew are counted once, in `unstackedCalls`/`unjudgedStalls`.
     */
    readonly baselined: number
    /** Findings of assertions (`"scope": "assertion"`) that are not allowed: their assertions judged them. */
    readonly assertions: number
    /** Calls not judged: they kept no stack of their own (past the first calls of an operation in a test); never violations. */
    readonly unstackedCalls: number
    /** Stalls reported but not judged (no stack showing the user's code, or several tests could own them): each says why. */
    readonly unjudgedStalls: number
    /** Findings a test worker sent that could not be read back (damaged spool lines); absent when none. */
    readonly lost?: number
    /**
     * Why loopcop checked no test file of the run, when it checked none and the runner ran tests
     * (as the run summary says it): the report then says nothing of the code, however empty it is.
     */
    readonly unchecked?: string
  }
  /** What the baseline made of the run; absent without a baseline. */
  readonly baseline?: JsonBaseline
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000

/** A test as the JSON report names it: its file relative to the working directory. */
function jsonTest(t: TestRef, rel: (file: string) => string): TestRef {
  return { name: t.name, ...(t.file !== undefined && { file: rel(t.file) }), ...(t.repeat !== undefined && { repeat: t.repeat }), ...(t.project !== undefined && { project: t.project }) }
}

/**
 * A finding in its JSON form. With `stacks` false its `stack` is left empty: for summaries that read
 * the rest (the Markdown summary), without a string made for each frame of every finding.
 */
export function toJsonFinding(f: Finding, cwd = projectCwd(), stacks = true): JsonFinding {
  const rel = (file: string): string => displayPath(file, cwd)
  return {
    id: f.id,
    kind: f.kind,
    ...(f.kind === 'sync-io' && { operation: f.operation, category: f.category, hint: f.hint, unstacked: f.unstacked }),
    ...(f.kind === 'sync-io' && f.args !== undefined && { args: f.args }),
    ...(f.kind === 'sync-io' && f.otherArgs !== undefined && { otherArgs: f.otherArgs }),
    ...(f.kind === 'stall' && { thresholdMs: f.thresholdMs }),
    ...(f.kind === 'stall' && f.unjudged !== undefined && { unjudged: f.unjudged }),
    ...(f.kind === 'stall' && f.candidates !== undefined && { candidates: f.candidates.map((t) => jsonTest(t, rel)) }),
    durationMs: round(f.durationMs),
    maxMs: round(f.maxMs),
    ...(f.kind === 'stall' && f.wallMs !== undefined && { wallMs: round(f.wallMs) }),
    calls: f.calls,
    allowed: f.allowed,
    ...(f.allowedBy !== undefined && { allowedBy: f.allowedBy, rule: f.allowedBy }),
    ...(f.baselined === true && { baselined: true }),
    ...(f.scope !== undefined && { scope: f.scope }),
    leak: f.leak,
    ...(f.test !== undefined && { test: jsonTest(f.test, rel) }),
    ...(f.location !== undefined && { location: { ...f.location, file: rel(f.location.file) } }),
    ...(f.offender !== undefined && { offender: { ...f.offender, file: rel(f.offender.file) } }),
    ...(f.testCode === true && { testCode: true }),
    ...(isUnjudged(f) && { judged: false }),
    stack: stacks ? f.frames.map((fr) => formatFrame(fr, cwd)) : [],
    ...(f.mode !== undefined && { mode: f.mode }),
  }
}

/** What the summary counts of a finding: the model's and the JSON report's findings both have it. */
export type Countable = Pick<JsonFinding, 'kind' | 'allowed' | 'allowedBy' | 'baselined' | 'scope' | 'test' | 'durationMs' | 'calls' | 'unstacked' | 'unjudged'>

/** How many tests these findings were charged to (tests told apart by file and name). */
export function testCount(findings: readonly Pick<Countable, 'test'>[]): number {
  const tests = new Set<string>()
  for (const f of findings) if (f.test !== undefined) tests.add(testKey(f.test))
  return tests.size
}

/** The summary of a JSON report, from its findings (a merged report's is counted afresh). */
export function summarize(findings: readonly Countable[], lost = 0, unchecked?: string): JsonReport['summary'] {
  const blocking = findings.filter(isViolation)
  let blockedMs = 0
  let unstackedCalls = 0
  let unjudgedStalls = 0
  let testCodeCalls = 0
  let allowed = 0
  let calls = 0
  let stalls = 0
  for (const f of blocking) {
    if (f.kind === 'stall') stalls += f.calls
    // Each duration as the report writes it: a report read back (`npx loopcop summary`, `merge`)
    // adds up the same numbers as the run that wrote it, whose console and step summaries then
    // agree with the CLI's (summed unrounded, the total could round the other way by 0.1 ms).
    blockedMs += round(f.durationMs)
    calls += f.calls
  }
  for (const f of findings) {
    if (isUnjudged(f)) {
      if (f.kind === 'stall') unjudgedStalls++
      else unstackedCalls += f.calls
    } else if (f.allowed) {
      allowed++
      if (f.allowedBy === TEST_CODE_RULE) testCodeCalls += f.calls
    }
  }
  return {
    findings: blocking.length,
    tests: testCount(blocking),
    blockedMs: round(blockedMs),
    calls,
    ...(stalls > 0 && { stalls }),
    allowed,
    testCodeCalls,
    baselined: findings.filter(isKnown).length,
    assertions: findings.filter((f) => f.scope === 'assertion' && !f.allowed).length,
    unstackedCalls,
    unjudgedStalls,
    ...(lost > 0 && { lost }),
    ...(unchecked !== undefined && { unchecked }),
  }
}

/** What a JSON report holds besides its findings, and how they are written. */
export interface JsonReportOptions {
  /** The folder paths are written relative to (the project's, by default). */
  readonly cwd?: string
  /** Findings that could not be read back from workers (`summary.lost`). */
  readonly lost?: number
  /** The baseline the run was compared with (`baseline`). */
  readonly baseline?: JsonBaseline
  /** Why loopcop checked no test file of the run (`summary.unchecked`). */
  readonly unchecked?: string
  /** False: every finding's `stack` is left empty (see `toJsonFinding`). Only `jsonReport` takes it. */
  readonly stacks?: boolean
}

/** Builds the JSON report of a run. */
export function jsonReport(findings: readonly Finding[], options: JsonReportOptions = {}): JsonReport {
  const { cwd, lost = 0, baseline, unchecked, stacks = true } = options
  return {
    version: 1,
    findings: findings.map((f) => toJsonFinding(f, cwd, stacks)),
    summary: summarize(findings, lost, unchecked),
    ...(baseline !== undefined && { baseline }),
  }
}

/** Text handed to `write` at a time while the report is written: large enough to keep the calls few. */
const PIECE = 1 << 16

/**
 * The JSON report's text, `JSON.stringify(jsonReport(findings, options), null, 2)` to the byte, in pieces of about
 * 64 KB: each finding is turned into its JSON form and text only when its piece is made, so a run of
 * tens of thousands of findings never holds them all in JSON form, nor the whole text (a 95 MB
 * report at once kept an in-band Jest run's heap half a gigabyte higher while it ended, and the
 * collection that followed ran past Jest's one-second exit warning: bench/README.md, "Fifty-fourth
 * pass").
 */
export function* jsonReportText(findings: readonly Finding[], options: Omit<JsonReportOptions, 'stacks'> = {}): Generator<string> {
  const { cwd = projectCwd(), lost = 0, baseline, unchecked } = options
  // Nested values are indented by two spaces a level; the finding's own text starts at level 2.
  const at = (value: unknown, indent: string): string => JSON.stringify(value, null, 2).replaceAll('\n', `\n${indent}`)
  let piece = `{\n  "version": 1,\n  "findings": [`
  for (const [i, f] of findings.entries()) {
    piece += `${i === 0 ? '' : ','}\n    ${at(toJsonFinding(f, cwd), '    ')}`
    if (piece.length >= PIECE) {
      yield piece
      piece = ''
    }
  }
  piece += findings.length === 0 ? ']' : '\n  ]'
  piece += `,\n  "summary": ${at(summarize(findings, lost, unchecked), '  ')}`
  if (baseline !== undefined) piece += `,\n  "baseline": ${at(baseline, '  ')}`
  yield `${piece}\n}\n`
}

/**
 * Writes the JSON report (creating its folder), in pieces (`jsonReportText`). Atomic (a temporary
 * file renamed over it), and a symbolic link at the path is replaced by the report, never followed
 * (see `writeFileAtomically`). Not scope-aware: the detector runs it outside every scope.
 */
export function writeJsonReport(path: string, findings: readonly Finding[], options: Omit<JsonReportOptions, 'stacks'> = {}): string {
  const cwd = options.cwd ?? projectCwd()
  const file = resolve(cwd, path)
  writeFileAtomically(file, jsonReportText(findings, { ...options, cwd }))
  return file
}
