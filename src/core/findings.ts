import { threadId } from 'node:worker_threads'
import { type CallView, type CompiledRule, findAllowingRule } from './allow.js'
import type { Category, Operation } from './operations.js'
import type { Mode } from './options.js'
import { type Redaction, redactSummary } from './redact.js'
import { type Frame, type Location, type RawStack, firstPartyFrame, formatFrame, offenderFrame, packageOf, readStack, stackText } from './stack.js'

/** The test a finding is charged to. */
export interface TestRef {
  readonly name: string
  readonly file?: string
}

interface FindingBase {
  /** Unique across processes and workers (`pid-thread-n`), so merged reports never count one twice. */
  readonly id: string
  /** Total time these calls blocked the event loop, in ms. */
  readonly durationMs: number
  /** The longest single block, in ms. */
  readonly maxMs: number
  /** How many calls this finding stands for (findings aggregate by call site). */
  readonly calls: number
  /** Allowed by a user allow rule: reported, never failing. */
  readonly allowed: boolean
  /** The rule that allowed it. */
  readonly allowedBy?: string
  /** Happened after its scope (the test) had ended: work the test left running. */
  readonly leak: boolean
  readonly test?: TestRef
  /** The user's own frame nearest to the call (source-mapped where the runner maps stacks). */
  readonly location?: Location
  /** The dependency frame that made the call, when it came from `node_modules`. */
  readonly offender?: Location & { readonly package: string }
  /** Captured frames, nearest first; loopcop's own frames never appear. */
  readonly frames: readonly Frame[]
  /**
   * The mode in force where it was found (its scope's `mode`, or `stallMode` for a stall): `fail`
   * and `throw` fail the test, `warn` only prints. Reports and annotations follow it.
   */
  readonly mode?: Mode
}

/** A call to a blocking API (sync I/O, child process, zlib, crypto, `Atomics.wait`, or a user-marked one). */
export interface SyncIoFinding extends FindingBase {
  readonly kind: 'sync-io'
  readonly operation: string
  readonly category: Category
  /** The async alternative. */
  readonly hint: string
  /** Path, command or size the first call was given. */
  readonly args?: string
  /**
   * These calls kept no stack of their own: only the first calls of an operation in a scope keep
   * one (see DESIGN.md, performance budget); every call is still counted and timed.
   */
  readonly unstacked: boolean
  /** The call was refused by `mode: 'throw'` and never ran. */
  readonly raised: boolean
}

/** A synchronous stretch of the event loop longer than `stallMs`. */
export interface StallFinding extends FindingBase {
  readonly kind: 'stall'
  readonly thresholdMs: number
}

/** Everything loopcop reports. */
export type Finding = SyncIoFinding | StallFinding

/** How many calls of one operation in one scope keep their own stack. */
export const STACKS_PER_OPERATION = 100

let nextId = 0
const idPrefix = `${process.pid}-${threadId}-${Date.now().toString(36)}`

/** A new finding id, unique across processes and worker threads. */
export function newFindingId(): string {
  return `${idPrefix}-${++nextId}`
}

/** One call that kept its stack, judged when its scope ends (or at once in `throw` mode). */
export interface KeptCall {
  readonly raw: RawStack
  readonly ms: number
  readonly arg: string | undefined
  readonly leak: boolean
  readonly raised: boolean
  /** Judged already: `null` = not allowed; a label = allowed by that rule. */
  verdict?: string | null
  frames?: Frame[]
}

/** Per scope and operation: every call counted and timed, the first ones with a stack. */
export class OperationTally {
  calls = 0
  ms = 0
  maxMs = 0
  readonly kept: KeptCall[] = []
  unstackedCalls = 0
  unstackedMs = 0
  unstackedMaxMs = 0
  /** Some call of this operation in this scope is not allowed (so the verdict is settled). */
  violation = false
  /** Calls allowed by a rule that needed no stack or by a judged stack, by rule label. */
  readonly allowed = new Map<string, { calls: number; ms: number; maxMs: number }>()

  constructor(readonly operation: Operation) {}

  /** Counts a call allowed by `label`. */
  countAllowed(label: string, ms: number): void {
    const a = this.allowed.get(label)
    if (a === undefined) this.allowed.set(label, { calls: 1, ms, maxMs: ms })
    else {
      a.calls++
      a.ms += ms
      if (ms > a.maxMs) a.maxMs = ms
    }
  }
}

/**
 * Verdicts by rule set, then by operation and argument, then by stack text: each call site is
 * judged once per rule set. The stack text is a key of its own (not concatenated into one), so its
 * hash is computed once per captured stack rather than over a fresh string per lookup.
 */
const verdicts = new WeakMap<readonly CompiledRule[], Map<string, Map<string, string | null>>>()
let cachedTexts = 0

/** Formats and judges a kept call (once): `null` when no rule allows it, else the allowing rule's label. */
export function judge(call: KeptCall, operation: Operation, rules: readonly CompiledRule[]): string | null {
  if (call.verdict !== undefined) return call.verdict
  const text = stackText(call.raw)
  let byCall = verdicts.get(rules)
  if (byCall === undefined) {
    byCall = new Map()
    verdicts.set(rules, byCall)
  }
  const callKey = call.arg === undefined ? operation.id : `${operation.id}\u0000${call.arg}`
  let byText = byCall.get(callKey)
  if (byText === undefined) {
    byText = new Map()
    byCall.set(callKey, byText)
  }
  const known = typeof text === 'string' ? byText.get(text) : undefined
  if (known !== undefined) return (call.verdict = known)
  const view: CallView = { operation, arg: call.arg, frames: () => framesOf(call) }
  const rule = findAllowingRule(rules, view)
  call.verdict = rule === undefined ? null : rule.label
  if (typeof text === 'string') {
    if (++cachedTexts > 5_000) {
      byCall.clear()
      cachedTexts = 0
    }
    byText.set(text, call.verdict)
  }
  return call.verdict
}


/** The frames of a kept call, formatted once. */
export function framesOf(call: KeptCall): Frame[] {
  call.frames ??= readStack(call.raw)
  return call.frames
}

function locationOf(frame: Frame | undefined): Location | undefined {
  return frame === undefined ? undefined : { file: frame.file, line: frame.line, column: frame.column }
}

/** Where a finding is attributed: the user's frame, else the top frame. */
export function siteKey(frames: readonly Frame[]): string {
  const f = firstPartyFrame(frames) ?? frames[0]
  return f === undefined ? '?' : `${f.file}:${f.line}:${f.column}`
}

/** What a scope knows about its test and whether late calls are leaks. */
export interface FindingContext {
  readonly test: TestRef | undefined
  /** How argument summaries are shown (credentials redacted, or none kept), and the modes that judge findings. */
  readonly settings: { readonly redact: Redaction; readonly mode: Mode; readonly stallMode: Mode }
}

/** Builds the site-aggregated findings of one operation's tally. Built-in allowed calls are dropped. */
export function tallyFindings(tally: OperationTally, rules: readonly CompiledRule[], ctx: FindingContext): SyncIoFinding[] {
  const op = tally.operation
  const groups = new Map<string, { calls: KeptCall[]; frames: Frame[]; verdict: string | null; leak: boolean; raised: boolean }>()
  for (const call of tally.kept) {
    const verdict = judge(call, op, rules)
    if (verdict !== null && verdict.startsWith('built-in: ')) continue
    const frames = framesOf(call)
    const key = `${verdict ?? ''}|${call.leak}|${call.raised}|${siteKey(frames)}`
    const g = groups.get(key)
    if (g === undefined) groups.set(key, { calls: [call], frames, verdict, leak: call.leak, raised: call.raised })
    else g.calls.push(call)
  }
  const out: SyncIoFinding[] = []
  for (const g of groups.values()) {
    let ms = 0
    let maxMs = 0
    for (const c of g.calls) {
      ms += c.ms
      if (c.ms > maxMs) maxMs = c.ms
    }
    const first = g.calls[0] as KeptCall
    out.push(makeSyncFinding(op, { calls: g.calls.length, ms, maxMs, frames: g.frames, arg: first.arg, verdict: g.verdict, leak: g.leak, raised: g.raised, unstacked: false }, ctx))
  }
  if (tally.unstackedCalls > 0) {
    out.push(
      makeSyncFinding(op, { calls: tally.unstackedCalls, ms: tally.unstackedMs, maxMs: tally.unstackedMaxMs, frames: [], arg: undefined, verdict: null, leak: false, raised: false, unstacked: true }, ctx),
    )
  }
  for (const [label, a] of tally.allowed) {
    if (label.startsWith('built-in: ')) continue
    out.push(makeSyncFinding(op, { calls: a.calls, ms: a.ms, maxMs: a.maxMs, frames: [], arg: undefined, verdict: label, leak: false, raised: false, unstacked: true }, ctx))
  }
  return out
}

interface SyncParts {
  calls: number
  ms: number
  maxMs: number
  frames: Frame[]
  arg: string | undefined
  verdict: string | null
  leak: boolean
  raised: boolean
  unstacked: boolean
}

/** Makes one sync-io finding. */
export function makeSyncFinding(op: Operation, p: SyncParts, ctx: FindingContext): SyncIoFinding {
  const offender = offenderFrame(p.frames)
  const location = locationOf(firstPartyFrame(p.frames) ?? p.frames[0])
  const pkg = offender === undefined ? undefined : packageOf(offender.file)
  const args = redactSummary(p.arg, ctx.settings.redact)
  return {
    kind: 'sync-io',
    id: newFindingId(),
    operation: op.id,
    category: op.category,
    hint: op.hint,
    durationMs: p.ms,
    maxMs: p.maxMs,
    calls: p.calls,
    allowed: p.verdict !== null,
    ...(p.verdict !== null && { allowedBy: p.verdict }),
    leak: p.leak,
    raised: p.raised,
    unstacked: p.unstacked,
    ...(ctx.test !== undefined && { test: ctx.test }),
    ...(location !== undefined && { location }),
    ...(offender !== undefined && pkg !== undefined && { offender: { ...locationOf(offender)!, package: pkg } }),
    ...(args !== undefined && { args }),
    frames: p.frames,
    mode: ctx.settings.mode,
  }
}

/** The stack of a finding as `fn (file:line:col)` lines, for reports. */
export function stackLines(finding: Finding, cwd?: string): string[] {
  return finding.frames.map((f) => formatFrame(f, cwd))
}
