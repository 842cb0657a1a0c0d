// Building findings (docs/architecture.md, "findings"): ids unique across processes, and the
// sync-io finding of a group of calls from one site.
import { threadId } from 'node:worker_threads'
import type { Frame, Location, Offender, SyncIoFinding, TestRef } from '../model/finding.js'
import type { Mode } from '../model/mode.js'
import type { Operation } from '../model/operation.js'
import type { Verdict } from '../model/verdict.js'
import { firstPartyFrame, locate, reportedFrames } from '../stack/frames.js'
import { allowingFrame } from './allow.js'
import { type Redaction, redactSummary } from './redact.js'

/** New finding ids, unique across processes, worker threads and detectors (`pid-thread-time-n`). */
export class FindingIds {
  readonly #prefix = `${process.pid}-${threadId}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  #next = 0

  /** A new id. */
  next(): string {
    return `${this.#prefix}-${++this.#next}`
  }
}

/** What a scope knows about its test, and how its findings are shown and judged. */
export interface FindingContext {
  readonly test: TestRef | undefined
  /** How argument summaries are shown (credentials redacted, or none kept), and the modes that judge findings. */
  readonly settings: { readonly redact: Redaction; readonly mode: Mode; readonly stallMode: Mode; readonly traceDepth: number; readonly captureDepth: number }
  /** Whether a file is one of the run's test files. */
  isTestFile(file: string): boolean
}

/** The calls one sync-io finding stands for. */
export interface SyncCalls {
  readonly calls: number
  readonly ms: number
  readonly maxMs: number
  readonly frames: readonly Frame[]
  readonly arg: string | undefined
  /** How many other arguments than `arg` the calls were given (see `SyncIoFinding.otherArgs`). */
  readonly otherArgs: number
  readonly verdict: Verdict
  readonly leak: boolean
  readonly raised: boolean
  /** These calls kept no stack of their own (counted and timed only). */
  readonly unstacked: boolean
  /** The first call's stack went on below the frames captured to search it (see `Stacks.cutBelowSearch`). */
  readonly cut: boolean
}

/** A finding being built: its optional fields are set one by one (no object spread per field: each costs a runtime call while the code is cold, and a runner's kept calls mostly run cold). */
type Building = { -readonly [K in keyof SyncIoFinding]: SyncIoFinding[K] }

/** Where the calls of a stack are attributed, worked out once per frames array and trace depth. */
interface Placement {
  readonly depth: number
  readonly caller: Frame | undefined
  readonly frames: readonly Frame[]
  readonly location: Location | undefined
  readonly offender: Offender | undefined
}

// A memo of a pure function (frames, depth → placement): a stack's frames are one array for every
// call with that stack (see `Stacks`), so a site called in every test — a hook's fixture read — is
// placed once, and its findings share the placement's (read-only) objects.
const placements = new WeakMap<readonly Frame[], Placement>()

function placementOf(frames: readonly Frame[], depth: number): Placement {
  // Calls counted without a stack: nothing to place (and a new empty array each time, not worth a memo entry).
  if (frames.length === 0) return { depth, caller: undefined, frames, location: undefined, offender: undefined }
  let p = placements.get(frames)
  if (p === undefined || p.depth !== depth) {
    const caller = firstPartyFrame(frames)
    const { location, offender } = locate(frames, caller)
    p = { depth, caller, frames: reportedFrames(frames, depth, caller), location, offender }
    placements.set(frames, p)
  }
  return p
}

/** The package a finding of these frames names as the one that made the call (`Offender.package`), if any. */
export function offendingPackage(frames: readonly Frame[], depth: number): string | undefined {
  return placementOf(frames, depth).offender?.package
}

/** Makes one sync-io finding. */
export function syncFinding(id: string, op: Operation, p: SyncCalls, ctx: FindingContext): SyncIoFinding {
  const args = redactSummary(p.arg, ctx.settings.redact)
  const allowed = p.verdict.kind === 'allowed'
  const at = placementOf(p.frames, ctx.settings.traceDepth)
  const caller = at.caller
  const also = allowingFrame(p.verdict, p.frames)
  const f: Building = {
    kind: 'sync-io',
    id,
    operation: op.id,
    category: op.category,
    hint: op.hint,
    durationMs: p.ms,
    maxMs: p.maxMs,
    calls: p.calls,
    allowed,
    leak: p.leak,
    raised: p.raised,
    unstacked: p.unstacked,
    frames: also === undefined || at.frames.includes(also) ? at.frames : reportedFrames(p.frames, ctx.settings.traceDepth, caller, also),
    mode: ctx.settings.mode,
  }
  if (p.verdict.kind === 'allowed') f.allowedBy = p.verdict.rule
  if (ctx.test !== undefined) f.test = ctx.test
  if (at.location !== undefined) f.location = at.location
  if (at.offender !== undefined) f.offender = at.offender
  if (caller !== undefined && caller.unparsed !== true && ctx.isTestFile(caller.file)) f.testCode = true
  // Only a stack that went on below the frames searched may hide the user's frame: one of 20 frames
  // ending where Node's loop entered a package's callback (express-session's, express) is whole.
  if (caller === undefined && !p.unstacked && p.cut) f.stackCut = true
  if (args !== undefined) f.args = args
  if (p.otherArgs > 0) f.otherArgs = p.otherArgs
  return f
}
